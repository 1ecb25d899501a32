"""The capacity answer of a capacity search or a step run: the last step that held the gates,
the first that broke, and the knee where throughput stops growing with users.

A capacity search (loadgen/shapes/capacity.py) judges its own steps into locust_capacity.json;
its verdicts are taken as they are. A step run (loadgen/shapes/step.py) leaves only Locust's
history: its steps are the stretches with one user count, judged here by the run's SLO gates.
"""

import statistics
from dataclasses import dataclass, field
from pathlib import Path

from reports import charts
from reports.run_dir import Run, RunDirError, read_json
from rundir.files import CAPACITY_RESULT as CAPACITY_JSON

STEP_GATES = ("p95_ms", "p99_ms", "fail_ratio")  # the gates a step can be judged by alone
KNEE_SHARE = 0.95  # a step within 5 % of the best throughput has reached the plateau
MIN_STEP_SECONDS = 10  # shorter stretches of one user count are ramps, not steps
SETTLE = 0.5  # the first half of a step (users starting, queues filling) does not count


class CapacityError(Exception):
    """locust_capacity.json is there but unreadable; the report lists why and goes on."""


@dataclass
class Step:
    users: int
    rps: float
    p95_ms: float | None
    p99_ms: float | None
    requests: float
    failures: float
    held: bool | None = None  # None: no gate to judge by
    missed: list[str] = field(default_factory=list)

    @property
    def fail_ratio(self) -> float | None:
        return self.failures / self.requests if self.requests else None


@dataclass
class Capacity:
    kind: str  # "capacity search" or "step load"
    source: str  # the file the step figures come from
    steps: list[Step]
    gates: dict[str, float]
    last_held: Step | None
    first_broke: Step | None
    knee: Step | None
    knee_note: str
    reason: str | None = None  # why a capacity search ended
    settings: dict = field(default_factory=dict)


def _step(data: dict) -> Step:
    return Step(
        users=int(data["users"]),
        rps=float(data.get("rps") or 0.0),
        p95_ms=data.get("p95_ms"),
        p99_ms=data.get("p99_ms"),
        requests=float(data.get("requests") or 0),
        failures=float(data.get("failures") or 0),
        held=data.get("held"),
        missed=list(data.get("missed") or []),
    )


def find_knee(steps: list[Step]) -> tuple[Step | None, str]:
    """The step with the fewest users whose throughput is within 5 % of the best step's.

    Past it, more users add latency, not throughput. None (and why) when the steps cannot
    tell: fewer than two, or throughput still rising at the last step.
    """
    ordered = sorted((s for s in steps if s.requests), key=lambda s: s.users)
    if len(ordered) < 2:
        return None, "fewer than two steps with requests: no knee can be told"
    best = max(ordered, key=lambda s: s.rps)
    knee = next(s for s in ordered if s.rps >= KNEE_SHARE * best.rps)
    if knee is ordered[-1]:
        return None, (
            f"throughput was still growing at the last step ({knee.users} users, "
            f"{knee.rps:,.1f} req/s): no knee within the steps run"
        )
    return knee, (
        f"throughput stops growing at {knee.users} users ({knee.rps:,.1f} req/s, within "
        f"{100 - KNEE_SHARE * 100:.0f} % of the best step: {best.users} users, "
        f"{best.rps:,.1f} req/s); more users than that add latency, not throughput"
    )


def from_search(data: dict) -> Capacity:
    """locust_capacity.json as the capacity shape wrote it."""
    steps = [_step(s) for s in data.get("steps") or []]
    knee, note = find_knee(steps)
    return Capacity(
        kind="capacity search",
        source=CAPACITY_JSON,
        steps=steps,
        gates=dict(data.get("gates") or {}),
        last_held=_step(data["last_held"]) if data.get("last_held") else None,
        first_broke=_step(data["broke"]) if data.get("broke") else None,
        knee=knee,
        knee_note=note,
        reason=data.get("reason"),
        settings=dict(data.get("settings") or {}),
    )


def plateaus(history: list[dict[str, str]]) -> list[list[tuple[float, dict]]]:
    """Stretches of the Aggregated history with one user count (above 0), in order."""
    stretches: list[list[tuple[float, dict]]] = []
    for row in charts.aggregated_history(history):
        t, users = charts.number(row.get("Timestamp")), charts.number(row.get("User Count"))
        if t is None or not users:
            if stretches and stretches[-1]:
                stretches.append([])
            continue
        if stretches and stretches[-1] and stretches[-1][-1][1]["User Count"] == row["User Count"]:
            stretches[-1].append((t, row))
        else:
            stretches.append([(t, row)])
    return [s for s in stretches if s and s[-1][0] - s[0][0] >= MIN_STEP_SECONDS]


def _history_step(stretch: list[tuple[float, dict]], gates: dict[str, float]) -> Step:
    begin = stretch[0][0] + SETTLE * (stretch[-1][0] - stretch[0][0])
    settled = [(t, row) for t, row in stretch if t >= begin]
    (t0, first), (t1, last) = settled[0], settled[-1]
    requests = (charts.number(last.get("Total Request Count")) or 0.0) - (
        charts.number(first.get("Total Request Count")) or 0.0
    )
    failures = (charts.number(last.get("Total Failure Count")) or 0.0) - (
        charts.number(first.get("Total Failure Count")) or 0.0
    )

    def median(column: str) -> float | None:
        values = [v for _t, row in settled if (v := charts.number(row.get(column))) is not None]
        return statistics.median(values) if values else None

    step = Step(
        users=int(float(last["User Count"])),
        rps=requests / (t1 - t0) if t1 > t0 else 0.0,
        p95_ms=median("95%"),
        p99_ms=median("99%"),
        requests=requests,
        failures=failures,
    )
    if gates:
        figures = {"p95_ms": step.p95_ms, "p99_ms": step.p99_ms, "fail_ratio": step.fail_ratio}
        step.missed = [
            name for name, limit in gates.items() if figures[name] is None or figures[name] > limit
        ]
        step.held = not step.missed
    return step


def from_history(history: list[dict[str, str]], slo: dict | None) -> Capacity | None:
    """The steps of a step run from its history; None when it held one user count only."""
    stretches = plateaus(history)
    if len(stretches) < 2:
        return None
    gates = {
        g["name"]: float(g["threshold"])
        for g in (slo or {}).get("gates") or []
        if g.get("name") in STEP_GATES and g.get("threshold") is not None
    }
    steps = [_history_step(s, gates) for s in stretches]
    broke = [s for s in steps if s.held is False]
    # Steps before the first broken one held; later ones do not change the answer.
    before = steps[: steps.index(broke[0])] if broke else steps
    held = [s for s in before if s.held]
    knee, note = find_knee(steps)
    return Capacity(
        kind="step load",
        source="locust_stats_history.csv",
        steps=steps,
        gates=gates,
        last_held=held[-1] if held else None,
        first_broke=broke[0] if broke else None,
        knee=knee,
        knee_note=note,
    )


def load(run: Run) -> Capacity | None:
    """The capacity answer of `run`, or None when it is neither a capacity search nor steps."""
    try:
        data = read_json(Path(run.path) / CAPACITY_JSON)
        return from_search(data) if data is not None else from_history(run.history, run.slo)
    except RunDirError as exc:
        raise CapacityError(str(exc)) from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CapacityError(
            f"{CAPACITY_JSON} is not what the capacity shape writes ({exc.__class__.__name__}: "
            f"{exc})"
        ) from None
