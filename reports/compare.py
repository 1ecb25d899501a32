"""Comparison rules as pure functions: baseline = median of earlier runs, delta in %, and the
verdict from change points over the whole history, or (too few runs) the 5 % / CV gate."""

import statistics
from dataclasses import dataclass

from reports import changepoints

REGRESSION_PCT = 5.0  # worse by this much or more is a regression ...
STABLE_CV_PCT = 10.0  # ... when the baseline's coefficient of variation is below this
BASELINE_RUNS = 5


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    higher_is_better: bool
    unit: str
    # Changes smaller than this (in the metric's own unit) are noise whatever their %: a fail
    # ratio going from 0 to 0.00001 is infinitely worse in % but means nothing.
    abs_floor: float = 0.0


METRICS = [
    Metric("rps", "RPS", True, "req/s"),
    Metric("p50", "p50", False, "ms"),
    Metric("p95", "p95", False, "ms"),
    Metric("p99", "p99", False, "ms"),
    Metric("fail_ratio", "Fail ratio", False, "", abs_floor=0.001),
]


@dataclass(frozen=True)
class Comparison:
    metric: Metric
    baseline: float | None
    value: float | None
    delta_pct: float | None
    cv_pct: float | None
    runs: int
    status: str  # REGRESSION, improvement, unstable baseline, ok, no baseline
    rule: str = changepoints.RULE_THRESHOLD  # which rule judged the status


def ratio(baseline: float, value: float) -> float | None:
    """value / baseline, or None when the baseline is zero."""
    return value / baseline if baseline else None


def delta_pct(baseline: float, value: float) -> float | None:
    r = ratio(baseline, value)
    if r is None:
        return 0.0 if value == baseline else None
    return (r - 1.0) * 100.0


def cv_pct(values: list[float]) -> float:
    """Coefficient of variation in %; 0 for a single run or an all-zero baseline."""
    if len(values) < 2:
        return 0.0
    mean = statistics.fmean(values)
    return statistics.pstdev(values) / abs(mean) * 100.0 if mean else 0.0


def compare(metric: Metric, history: list[float | None], value: float | None) -> Comparison:
    """Classify `value` against the median of `history` (oldest first; the last 5 count)."""
    past = [v for v in history if v is not None][-BASELINE_RUNS:]
    if not past or value is None:
        return Comparison(metric, None, value, None, None, len(past), "no baseline")
    baseline = statistics.median(past)
    cv = cv_pct(past)
    delta = delta_pct(baseline, value)
    if cv >= STABLE_CV_PCT:
        status = "unstable baseline"
    elif abs(value - baseline) <= metric.abs_floor:
        status = "ok"
    else:
        # An infinite change (zero baseline) counts as beyond any threshold.
        size = abs(delta) if delta is not None else float("inf")
        worse = value < baseline if metric.higher_is_better else value > baseline
        status = "ok" if size < REGRESSION_PCT else "REGRESSION" if worse else "improvement"
    return Comparison(metric, baseline, value, delta, cv, len(past), status)


def judge_by_change_points(
    metric: Metric, history: list[float | None], value: float | None
) -> Comparison:
    """As `compare`, but the status says whether the history has a change point at `value`:
    REGRESSION only for a change point there in the bad direction, ok without one."""
    shown = compare(metric, history, value)
    if value is None or shown.baseline is None:
        return shown
    point = changepoints.at_newest([*history, value])
    if point is None or abs(point.after - point.before) <= metric.abs_floor:
        status = "ok"
    else:
        worse = (
            point.after < point.before if metric.higher_is_better else point.after > point.before
        )
        status = "REGRESSION" if worse else "improvement"
    return Comparison(
        metric, shown.baseline, value, shown.delta_pct, shown.cv_pct, shown.runs, status,
        changepoints.RULE_CHANGE_POINTS,
    )  # fmt: skip


def compare_all(
    history: list[dict[str, float | None]], current: dict[str, float | None]
) -> list[Comparison]:
    """Every key figure of `current` against `history` (all earlier runs, oldest first):
    change points when the history with this run is long enough, else the threshold rule."""
    results = []
    for metric in METRICS:
        past, value = [h.get(metric.key) for h in history], current.get(metric.key)
        long_enough = changepoints.enough([*past, value])
        judge = judge_by_change_points if long_enough else compare
        results.append(judge(metric, past, value))
    return results


def rule_of(comparisons: list[Comparison]) -> str | None:
    return comparisons[0].rule if comparisons else None


def judged_by(comparisons: list[Comparison], earlier_runs: int) -> str:
    """The sentence of the summary that says which rule judged, and why that one."""
    if rule_of(comparisons) == changepoints.RULE_CHANGE_POINTS:
        return (
            f"Judged by change points: Apache Otava's E-divisive means over this run and "
            f"{earlier_runs} earlier run(s) (t-test, p < {changepoints.MAX_PVALUE:g}); a figure "
            "is a REGRESSION only when the history has a change point at this run in the bad "
            "direction. Delta and CV are shown for reference."
        )
    return (
        f"Judged by the {REGRESSION_PCT:g} % / CV rule (change points need "
        f"{changepoints.MIN_RUNS} runs of this scenario on this bench, there are "
        f"{earlier_runs + 1}): a figure worse by {REGRESSION_PCT:g} % or more is a REGRESSION "
        f"when the baseline's coefficient of variation (CV) is under {STABLE_CV_PCT:g} %."
    )


def format_value(metric: Metric, value: float | None) -> str:
    if value is None:
        return "n/a"
    if metric.key == "fail_ratio":
        return f"{value * 100:.2f} %"
    return f"{value:,.1f}" if metric.key == "rps" else f"{value:,.0f}"


def format_delta(comparison: Comparison) -> str:
    if comparison.delta_pct is None:
        return "n/a" if comparison.baseline is None else "new"
    return f"{comparison.delta_pct:+.1f} %"
