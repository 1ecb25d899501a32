"""Load shapes. Each shape lives in its own file so a scenario picks one by listing it:

    locustfile = loadgen/locustfile.py,loadgen/shapes/step.py

(Locust runs the first shape class it finds, so no file may hold two.)
"""

from dataclasses import dataclass
from pathlib import Path

from locust.util.timespan import parse_timespan


@dataclass(frozen=True)
class Stage:
    users: int
    seconds: float
    spawn_rate: float


def parse_stages(text: str, default_spawn_rate: float = 10.0) -> list[Stage]:
    """Stages from "USERS:DURATION[:SPAWN_RATE], ..." or "@file" holding one stage per line.

    >>> parse_stages("10:30s, 50:1m:25")
    [Stage(users=10, seconds=30.0, spawn_rate=10.0), Stage(users=50, seconds=60.0, spawn_rate=25.0)]
    """
    text = (text or "").strip()
    if text.startswith("@"):
        lines = Path(text[1:]).read_text().splitlines()
        items = [line.split("#", 1)[0].strip() for line in lines]
    else:
        items = [item.strip() for item in text.strip("[]").split(",")]
    stages = []
    for item in filter(None, items):
        parts = item.split(":")
        if len(parts) not in (2, 3):
            raise ValueError(f"stage {item!r}: write USERS:DURATION or USERS:DURATION:SPAWN_RATE")
        try:
            users = int(parts[0])
            seconds = float(parse_timespan(parts[1]))
            rate = float(parts[2]) if len(parts) == 3 else default_spawn_rate
        except ValueError as exc:
            raise ValueError(f"stage {item!r}: {exc}") from exc
        if users < 0 or seconds <= 0 or rate <= 0:
            raise ValueError(f"stage {item!r}: users >= 0, duration and spawn rate > 0")
        stages.append(Stage(users, seconds, rate))
    if not stages:
        raise ValueError("no stages given (--stages 10:30s,50:30s)")
    return stages


def run_time_over(options, elapsed: float) -> bool:
    """Whether --run-time (Locust has parsed it to seconds) has passed; shapes stop there."""
    limit = getattr(options, "run_time", None)
    return bool(limit) and elapsed >= float(limit)
