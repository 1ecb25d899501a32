"""Requests and failures per second from Locust's cumulative counts (the progress line, charts).

A master's counts move only when a worker report arrives (every 3 s per worker, at moments of
its own), so the rate between two adjacent changes counts some workers and not others. Rates
are taken over stretches between changes at least one report interval long, counted back
from the latest change: every worker's report is then counted once in each stretch, and the
latest rate is always a full one. Locust's own current RPS is a 10-second average that lags
by 2-3 s and reads 0 for the first seconds of load.
"""

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

REPORT_SECONDS = 3.0  # Locust's WORKER_REPORT_INTERVAL


@dataclass(frozen=True)
class Stretch:
    start: float
    end: float
    requests_per_s: float
    failures_per_s: float


def count_rates(
    samples: Iterable[tuple[float, float, float]], span: float = REPORT_SECONDS
) -> list[Stretch]:
    """Stretches of (time, total requests, total failures) samples in time order.

    The first sample opens the first stretch (the moment load began, or the oldest sample
    kept); later samples count only where the request count changed. The oldest stretch
    may be shorter than `span`; none when the count never changed.
    """
    changes: list[tuple[float, float, float]] = []
    for sample in samples:
        if not changes or (sample[1] != changes[-1][1] and sample[0] > changes[-1][0]):
            changes.append(sample)
    if len(changes) < 2:
        return []
    bounds = [changes[-1]]
    for change in reversed(changes[:-1]):
        if bounds[-1][0] - change[0] >= span:
            bounds.append(change)
    if bounds[-1] is not changes[0]:
        bounds.append(changes[0])
    bounds.reverse()
    return [
        Stretch(t0, t1, (r1 - r0) / (t1 - t0), max(f1 - f0, 0.0) / (t1 - t0))
        for (t0, r0, f0), (t1, r1, f1) in itertools.pairwise(bounds)
    ]
