"""Warns during a run, as soon as it happens, that the load generator's CPUs are saturated.

The report's verdict (reports/saturation.py) judges the whole window afterwards; this says it
while the run is on, so a user can stop a run that will be SUSPECT anyway.
"""

import time
from collections import deque

import psutil

from reports.saturation import BUSY_HOST_PCT

WINDOW_SECONDS = 5.0  # sustained, not a spike: a 5-second average of the CPUs' busy share


class SaturationWatch:
    """Call check() often (the progress loop does, twice a second); it returns a warning once."""

    def __init__(self, cpus: tuple[int, ...] | None, limit: float = BUSY_HOST_PCT):
        self.cpus = cpus  # the load generator's CPUs; None: it shares all of them
        self.limit = limit
        self.samples: deque[tuple[float, float]] = deque()
        self.warned = False
        psutil.cpu_percent(percpu=True)  # sets the reference point of the next call

    def busy(self, per_cpu: list[float]) -> float:
        chosen = [per_cpu[c] for c in self.cpus if c < len(per_cpu)] if self.cpus else per_cpu
        return sum(chosen) / len(chosen) if chosen else 0.0

    def add(self, now: float, busy: float) -> float | None:
        """Record one reading; the window's average once it spans WINDOW_SECONDS, else None."""
        self.samples.append((now, busy))
        while self.samples and self.samples[0][0] < now - WINDOW_SECONDS:
            self.samples.popleft()
        if now - self.samples[0][0] < WINDOW_SECONDS - 1:
            return None
        return sum(b for _, b in self.samples) / len(self.samples)

    def check(self, load_running: bool = True) -> str | None:
        busy = self.busy(psutil.cpu_percent(percpu=True))
        if not load_running:
            self.samples.clear()  # start-up and seeding are not the load
            return None
        average = self.add(time.monotonic(), busy)
        if self.warned or average is None or average <= self.limit:
            return None
        self.warned = True
        where = f"CPU(s) {','.join(map(str, self.cpus))}" if self.cpus else "host's CPUs"
        return (
            f"warning: the load generator's {where} averaged {average:.0f} % busy over the last "
            f"{WINDOW_SECONDS:.0f} s (limit {self.limit:.0f} %): the run will be SUSPECT"
        )
