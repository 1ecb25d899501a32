"""Comparison rules as pure functions: baseline = median of earlier runs, delta in %, CV gate."""

import statistics
from dataclasses import dataclass

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


def compare_all(
    history: list[dict[str, float | None]], current: dict[str, float | None]
) -> list[Comparison]:
    return [compare(m, [h.get(m.key) for h in history], current.get(m.key)) for m in METRICS]


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
