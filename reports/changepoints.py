"""Change points in a scenario's history of key figures (Apache Otava's E-divisive means).

A fixed threshold ("5 % worse than the median of the last runs") flags every noisy night on a
noisy bench and misses a slow drift on a quiet one. Otava (the method of Fleming et al.,
"Hunter", ICPE 2023) splits the history where its level changes and keeps a split only when
a t-test between the two sides says it is significant, so the bench's own noise is the yard
stick. Only otava.analysis is used: numpy and scipy, no database or service.
"""

from dataclasses import dataclass

from otava.analysis import compute_change_points

# Below this many runs a single new run's shift is rarely significant (measured on
# synthetic histories with 2 % noise: a 10 % drop on run 10 of 10 is found about half the
# time), so the threshold rule judges instead.
MIN_RUNS = 10
WINDOW = 30  # Otava's sliding window: a change is judged against up to this many runs
MAX_PVALUE = 0.001  # Otava's default; at 0.01 flat histories with 2 % noise gave false splits

RULE_CHANGE_POINTS = "change points"
RULE_THRESHOLD = "threshold"


@dataclass(frozen=True)
class ChangePoint:
    index: int  # the first run of the new level (0 = the oldest run)
    before: float  # mean of the segment before it
    after: float  # mean of the segment from it on
    pvalue: float

    @property
    def change_pct(self) -> float:
        return (self.after / self.before - 1.0) * 100.0 if self.before else float("inf")


def enough(values: list[float | None]) -> bool:
    return sum(v is not None for v in values) >= MIN_RUNS


def _filled(values: list[float | None]) -> list[float]:
    """Gaps (a run without the figure) take the previous run's value, or the next one's:
    a gap must not look like a change, and indices must stay those of the runs."""
    out = list(values)
    last = next((v for v in out if v is not None), 0.0)
    for i, v in enumerate(out):
        out[i] = last = v if v is not None else last
    return [float(v) for v in out]


def detect(values: list[float | None]) -> list[ChangePoint]:
    """Change points of `values` (oldest first); none with fewer than MIN_RUNS known values."""
    if not enough(values):
        return []
    series = _filled(values)
    found, _weak = compute_change_points(series, window_len=WINDOW, max_pvalue=MAX_PVALUE)
    return [
        ChangePoint(
            index=int(cp.index),
            before=float(cp.stats.mean_before()),
            after=float(cp.stats.mean_after()),
            pvalue=float(cp.stats.pvalue),
        )
        for cp in found
    ]


def at_newest(values: list[float | None]) -> ChangePoint | None:
    """The change point at the last value, if the history has one there."""
    points = detect(values)
    return next((cp for cp in points if cp.index == len(values) - 1), None)
