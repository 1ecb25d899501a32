"""The canary in the report: its figures, their history on this bench, and whether it moved.

`rig canary` runs a fixed workload before the benchmark (Redis round trips, GETs of
/healthz) and the run directory keeps its figures in canary.json. Its history on the bench
(the canaries of earlier runs, each counted once however many runs of a night share it) is
the yard stick of the environment's noise.

A canary figure has MOVED when it lies further from the median of the earlier canaries
than MOVE_SIGMAS robust standard deviations (1.4826 x the median absolute deviation, MAD)
and by at least MIN_MOVE_PCT % of that median (so a very quiet history does not turn a
1 % wobble into a move). With fewer than MIN_HISTORY earlier canaries nothing is judged.
On a run whose canary moved, a REGRESSION verdict is withheld: the bench changed under the
service, and the two cannot be told apart.
"""

import math
import statistics
from dataclasses import dataclass, replace
from pathlib import Path

from reports import compare, render
from rundir.errors import RunDirError
from rundir.files import CANARY_JSON, RUN_JSON
from rundir.load import Run, read_json

MIN_HISTORY = 5  # earlier canaries needed before a move is judged
HISTORY = 30  # the newest this many earlier canaries make the yard stick
MOVE_SIGMAS = 3.0
MIN_MOVE_PCT = 10.0
MAD_TO_SIGMA = 1.4826  # MAD x this estimates the standard deviation of normal noise
WITHHELD = "withheld (canary moved)"
MAX_TIME = 253_402_300_800  # year 10000: a later "time" is no canary's

# (key in canary.json, what it measures, unit); higher is better for both.
FIGURES = (("redis", "Redis round trips", "ops/s"), ("http", "HTTP /healthz", "req/s"))


@dataclass(frozen=True)
class FigureJudgement:
    key: str
    label: str
    unit: str
    value: float
    median: float | None  # of the earlier canaries
    deviation_pct: float | None  # this canary against that median
    cv_pct: float | None  # the earlier canaries' spread: the environment's noise figure
    earlier: int
    moved: bool | None  # None: too little history to judge


@dataclass(frozen=True)
class Judgement:
    figures: list[FigureJudgement]

    @property
    def judged(self) -> bool:
        return any(f.moved is not None for f in self.figures)

    @property
    def moved(self) -> bool:
        return any(f.moved for f in self.figures)


def values(data: dict | None) -> dict[str, float]:
    """The figures a canary measured (a missing part is left out)."""
    found = {}
    for key, _label, _unit in FIGURES:
        part = (data or {}).get(key)
        value = part.get("per_s") if isinstance(part, dict) else None
        if _finite(value) and value > 0:
            found[key] = float(value)
    return found


def _finite(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def load(run: Run) -> dict | None:
    return read_json(run.path / CANARY_JSON)


def judge_figure(past: list[float], value: float) -> tuple[bool | None, float | None]:
    """(moved, median of `past`): moved is None with fewer than MIN_HISTORY values."""
    if not past:
        return None, None
    median = statistics.median(past)
    if len(past) < MIN_HISTORY:
        return None, median
    mad = statistics.median(abs(v - median) for v in past)
    allowed = max(MOVE_SIGMAS * MAD_TO_SIGMA * mad, MIN_MOVE_PCT / 100 * abs(median))
    return abs(value - median) > allowed, median


def judge(current: dict | None, earlier: list[dict]) -> Judgement:
    """This canary's figures against the earlier canaries (oldest first)."""
    now = values(current)
    past = [values(c) for c in earlier][-HISTORY:]
    judged = []
    for key, label, unit in FIGURES:
        if key not in now:
            continue
        series = [p[key] for p in past if key in p]
        moved, median = judge_figure(series, now[key])
        judged.append(
            FigureJudgement(
                key, label, unit, now[key], median,
                compare.delta_pct(median, now[key]) if median else None,
                compare.cv_pct(series) if len(series) >= 2 else None,
                len(series), moved,
            )
        )  # fmt: skip
    return Judgement(judged)


def _canaries_of(directory: Path) -> list[tuple[dict, dict]]:
    """(run.json, canary.json) of the run directories at `directory` and one level below it
    (the runs of a repeat set)."""
    found = []
    for path in (directory, *sorted(p for p in directory.iterdir() if p.is_dir())):
        if (path / CANARY_JSON).is_file() and (path / RUN_JSON).is_file():
            try:
                found.append((read_json(path / RUN_JSON) or {}, read_json(path / CANARY_JSON)))
            except RunDirError:
                continue  # a broken file must not stop another run's report
    return found


def all_canaries(results_dir: Path) -> dict[str | None, list[dict]]:
    """Every canary in `results_dir` by bench, once each (runs of one night share one),
    oldest first."""
    by_bench: dict[str | None, dict[float, dict]] = {}
    results_dir = Path(results_dir)
    for child in sorted(results_dir.iterdir()) if results_dir.is_dir() else []:
        if not child.is_dir():
            continue
        for info, data in _canaries_of(child):
            when = (data or {}).get("time")
            if _finite(when) and 0 < when < MAX_TIME:
                by_bench.setdefault(info.get("bench"), {})[float(when)] = data
    return {bench: [found[t] for t in sorted(found)] for bench, found in by_bench.items()}


def bench_canaries(results_dir: Path, bench: str | None) -> list[dict]:
    return all_canaries(results_dir).get(bench, [])


def judge_run(run: Run, results_dir: Path) -> tuple[dict | None, Judgement | None]:
    """The run's canary and its judgement against the bench's earlier canaries."""
    try:
        data = load(run)
    except RunDirError:
        return None, None  # a broken canary.json is no canary; the run's report goes on
    when = (data or {}).get("time")
    if data is None or not _finite(when) or not 0 < when < MAX_TIME:
        return None, None
    earlier = [c for c in bench_canaries(results_dir, run.info.get("bench")) if c["time"] < when]
    return data, judge(data, earlier)


def withhold(comparisons: list, judgement: Judgement | None) -> list:
    """The comparisons with every REGRESSION withheld when the canary moved."""
    if judgement is None or not judgement.moved:
        return comparisons
    return [replace(c, status=WITHHELD) if c.status == "REGRESSION" else c for c in comparisons]


def report_entry(judgement: Judgement) -> dict:
    """What report.json keeps of the canary."""
    return {
        "moved": judgement.moved,
        "judged": judgement.judged,
        "figures": {
            f.key: {"value": f.value, "median": f.median, "deviation_pct": f.deviation_pct,
                    "cv_pct": f.cv_pct, "earlier": f.earlier, "moved": f.moved}
            for f in judgement.figures
        },
    }  # fmt: skip


def _figure_text(f: FigureJudgement) -> str:
    text = f"{f.label} {f.value:,.0f} {f.unit}"
    if f.median is None:
        return text + " (no earlier canary)"
    spread = "" if f.cv_pct is None else f", their CV {f.cv_pct:.1f} %"
    state = "not judged" if f.moved is None else "MOVED" if f.moved else "steady"
    return (
        f"{text}: {f.deviation_pct:+.1f} % against the median of {f.earlier} earlier "
        f"canar{'y' if f.earlier == 1 else 'ies'}{spread}: {state}"
    )


def summary_lines(data: dict | None, judgement: Judgement | None) -> list[str]:
    """The summary's Canary section (empty when the run had no canary)."""
    if data is None or judgement is None:
        return []
    lines = [f"- {_figure_text(f)}" for f in judgement.figures]
    missing = data.get("missing") if isinstance(data.get("missing"), list) else []
    lines += [f"- {render.cell(m.get('what'))} missing: {render.cell(m.get('why'))}"
              for m in missing if isinstance(m, dict)]  # fmt: skip
    if not judgement.figures:
        verdict = "The canary measured nothing; nothing is withheld."
    elif judgement.moved:
        verdict = (
            "The canary MOVED: the environment changed, so a REGRESSION of this run is "
            "withheld (the comparison says so); rerun on a steady bench to judge it."
        )
    elif judgement.judged:
        verdict = "The canary is steady: the comparison below judges the service."
    else:
        verdict = (
            f"Too few earlier canaries on this bench to judge a move (needs {MIN_HISTORY}); "
            "nothing is withheld."
        )
    rule = (
        f"A figure moved when it is further from the earlier canaries' median than "
        f"{MOVE_SIGMAS:g} x 1.4826 x their MAD and by {MIN_MOVE_PCT:g} % or more."
    )
    return [*lines, "", f"{verdict} {rule}"]


def index_rows(results_dir: Path) -> list[dict]:
    """index.md's canary table: each canary of each bench, newest first, with its verdict."""
    rows = []
    for bench, canaries in all_canaries(results_dir).items():
        for position, data in enumerate(canaries):
            j = judge(data, canaries[:position])
            by_key = {f.key: f for f in j.figures}
            shown = {
                key: f"{by_key[key].value:,.0f}" if key in by_key else "—"
                for key, _label, _unit in FIGURES
            }
            state = "MOVED" if j.moved else "steady" if j.judged else "not judged"
            rows.append({"time": data["time"], "date": render.utc(data["time"]),
                         "bench": render.cell(bench or "—"), "state": state, **shown})  # fmt: skip
    return sorted(rows, key=lambda r: r["time"], reverse=True)
