"""Two runs, or two repeat sets, compared against the noise the rig knows of.

Two back-to-back runs of the same code differ by 10 % on a busy box; calling that an
improvement is wrong. A difference is judged only against a spread: the repeats of A and B,
else the scenario's history on the same bench. Without either it is shown, not judged.
"""

import math
from dataclasses import dataclass
from pathlib import Path

from reports import compare, figures, history, repeats, run_dir

Z = 2.0  # a difference beyond 2 standard errors: about 95 % two-sided for normal noise
MIN_NOISE_RUNS = 3  # a CV from fewer values is a guess, not a noise figure
HISTORY_RUNS = 10  # the latest runs of the scenario whose spread stands for the bench's noise
UNJUDGED = "unjudged"


@dataclass(frozen=True)
class PairResult:
    metric: compare.Metric
    a: float | None
    b: float | None
    delta_pct: float | None
    margin_pct: float | None  # a change within ± this is noise; None: no noise figure
    status: str  # REGRESSION, improvement, within noise, unjudged, n/a


@dataclass(frozen=True)
class Noise:
    cv_a: float | None  # CV in % standing for A's noise (repeats or history)
    cv_b: float | None
    source: str


def noise_for(
    metric: compare.Metric,
    runs_a: list[run_dir.Run],
    runs_b: list[run_dir.Run],
    past: list[run_dir.Run],
) -> Noise:
    a = repeats.spread([figures.key_figures(r)[metric.key] for r in runs_a])
    b = repeats.spread([figures.key_figures(r)[metric.key] for r in runs_b])
    known_a = a.cv_pct if a.n >= MIN_NOISE_RUNS else None
    known_b = b.cv_pct if b.n >= MIN_NOISE_RUNS else None
    if known_a is not None or known_b is not None:
        # One side repeated: its spread stands for the other side's too (same bench).
        return Noise(
            known_a if known_a is not None else known_b,
            known_b if known_b is not None else known_a,
            f"repeats ({a.n} of A, {b.n} of B)",
        )
    h = repeats.spread([figures.key_figures(r)[metric.key] for r in past])
    if h.n >= MIN_NOISE_RUNS:
        return Noise(h.cv_pct, h.cv_pct, f"history ({h.n} runs of the scenario)")
    return Noise(None, None, "none")


def judge(
    metric: compare.Metric,
    runs_a: list[run_dir.Run],
    runs_b: list[run_dir.Run],
    noise: Noise,
) -> PairResult:
    a = repeats.spread([figures.key_figures(r)[metric.key] for r in runs_a]).median
    b = repeats.spread([figures.key_figures(r)[metric.key] for r in runs_b]).median
    if a is None or b is None:
        return PairResult(metric, a, b, None, None, "n/a")
    delta = compare.delta_pct(a, b)
    if noise.cv_a is None or noise.cv_b is None:
        return PairResult(metric, a, b, delta, None, UNJUDGED)
    # Standard error of the difference of two means, in % of the level.
    margin = Z * math.sqrt(noise.cv_a**2 / len(runs_a) + noise.cv_b**2 / len(runs_b))
    size = abs(delta) if delta is not None else math.inf
    if abs(b - a) <= metric.abs_floor or size <= margin:
        return PairResult(metric, a, b, delta, margin, "within noise")
    worse = b < a if metric.higher_is_better else b > a
    return PairResult(metric, a, b, delta, margin, "REGRESSION" if worse else "improvement")


def history_of(runs_a: list[run_dir.Run], runs_b: list[run_dir.Run], results_dir: Path):
    """The latest runs of A's scenario on A's bench in `results_dir`, B's runs left out."""
    b_paths = {r.path.resolve() for r in runs_b}
    same = [
        r
        for r in history.runs_in(results_dir)
        if history.same_bench(r, runs_a[0]) and r.path.resolve() not in b_paths
    ]
    return same[-HISTORY_RUNS:]


def compare_sets(
    path_a: Path, path_b: Path, results_dir: Path | None = None
) -> tuple[list[run_dir.Run], list[run_dir.Run], list[PairResult], list[str]]:
    """Load A and B (run directories or repeat sets) and judge B against A.

    Returns both sets, a result per key figure and the noise source of each."""
    runs_a, runs_b = repeats.load_set(path_a), repeats.load_set(path_b)
    # A's parent holds A's siblings: the results directory, or the other repeats of a set.
    results_dir = Path(results_dir) if results_dir else Path(path_a).resolve().parent
    same_scenario = runs_a[0].scenario == runs_b[0].scenario
    past = history_of(runs_a, runs_b, results_dir) if same_scenario else []
    results, sources = [], []
    for metric in compare.METRICS:
        noise = noise_for(metric, runs_a, runs_b, past)
        results.append(judge(metric, runs_a, runs_b, noise))
        sources.append(noise.source)
    return runs_a, runs_b, results, sources
