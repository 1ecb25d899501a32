"""run.json: what the report needs to find a run's series and describe it (RunInfo)."""

import json
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from rundir import fingerprint, history
from rundir.errors import RunDirError
from rundir.files import HISTORY_CSV, RUN_JSON

_TYPES = {"config": dict, "hosts": dict, "monitoring": dict, "versions": dict, "incidents": list}


@dataclass
class RunInfo:
    """One run's facts; `start`/`end` (epoch seconds, UTC) bound every query of the report."""

    scenario: str
    start: float
    end: float
    run_id: str = ""
    bench: str = ""
    launched: float | None = None  # when the load generator was started (before seeding)
    finished: float | None = None  # when it exited
    git_rev: str = "unknown"
    target: str = ""
    config: dict = field(default_factory=dict)
    hosts: dict = field(default_factory=dict)
    monitoring: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)
    incidents: list = field(default_factory=list)  # lines that make the run SUSPECT
    extra: dict = field(default_factory=dict)  # other writers' fields, kept as they were

    def to_dict(self) -> dict:
        data = asdict(self)
        return {**data.pop("extra"), **data}

    def to_json(self) -> str:
        """The canonical text: the same facts give the same bytes, whoever writes them."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict, source: object = RUN_JSON) -> "RunInfo":
        """RunDirError (naming `source`) when a field the report relies on is malformed."""
        if not isinstance(data, dict):
            raise RunDirError(f"{source} must hold a JSON object")
        for key in ("start", "end"):
            if not _is_time(data.get(key)):
                raise RunDirError(f"{source}: '{key}' must be epoch seconds")
        for key, kind in _TYPES.items():
            if key in data and not isinstance(data[key], kind):
                raise RunDirError(f"{source}: '{key}' must be a JSON {kind.__name__}")
        names = {f.name for f in fields(cls)} - {"extra"}
        known = {k: v for k, v in data.items() if k in names}
        known.setdefault("scenario", "unknown")
        return cls(**known, extra={k: v for k, v in data.items() if k not in names})

    @classmethod
    def from_json(cls, text: str, source: object = RUN_JSON) -> "RunInfo":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RunDirError(f"{source} is not valid JSON: {exc}") from None
        return cls.from_dict(data, source)

    @classmethod
    def read(cls, directory: Path) -> "RunInfo":
        path = Path(directory) / RUN_JSON
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RunDirError(f"cannot read {path}: {exc}") from None
        return cls.from_json(text, path)

    def write(self, directory: Path) -> Path:
        """Write run.json atomically (a reader never sees half a file)."""
        path = Path(directory) / RUN_JSON
        tmp = path.with_name(RUN_JSON + ".tmp")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(path)
        return path


def _is_time(value) -> bool:
    if isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def number(value):
    """A setting as a number when it is one ("50" -> 50, "2.5" -> 2.5, "60s" stays)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return value
    try:
        parsed = float(value)
    except ValueError:
        return value
    if not math.isfinite(parsed):
        return value
    return int(parsed) if parsed.is_integer() else parsed


def make(
    directory: Path,
    *,
    scenario: str,
    launched: float,
    finished: float,
    run_id: str = "",
    bench: str = "",
    target: str = "",
    config: dict | None = None,
    hosts: dict | None = None,
    monitoring: dict | None = None,
    versions: dict | None = None,
    incidents: list | None = None,
    checkout: Path = fingerprint.CHECKOUT,
) -> RunInfo:
    """The RunInfo of the run in `directory`: its window from Locust's history, its git revision.

    `rig local` and `rig run-info` (the benchmark role) both come here, so one set of facts
    gives one run.json.
    """
    directory = Path(directory)
    rows = history.read_history(directory / HISTORY_CSV)
    start, end = history.window(rows, float(launched), float(finished))
    return RunInfo(
        scenario=scenario,
        start=start,
        end=end,
        run_id=run_id or directory.name,
        bench=bench,
        launched=round(float(launched), 3),
        finished=round(float(finished), 3),
        git_rev=fingerprint.git_rev(checkout),
        target=target,
        config={key: number(value) for key, value in (config or {}).items()},
        hosts=dict(hosts or {}),
        monitoring=dict(monitoring or {}),
        versions=dict(versions or {}),
        incidents=list(incidents or []),
    )
