"""The progress line of `rig local`, read from the Locust master's Prometheus exporter."""

import time
from collections import deque
from typing import TextIO

import requests
from prometheus_client.parser import text_string_to_metric_families

from rundir.rates import REPORT_SECONDS, count_rates

RATE_WINDOW = 10.0  # seconds of request counts kept; no change for this long reads as 0


class RequestRate:
    """Requests per second now, from the master's request counter (rundir.rates).

    The rate is that of the latest stretch of at least a report interval between changes of
    the count, the same rule the throughput chart draws with.
    """

    def __init__(self, window: float = RATE_WINDOW, span: float = REPORT_SECONDS):
        self.window = window
        self.span = span
        self.changes: deque[tuple[float, float]] = deque()  # (when first seen, count)

    def add(self, now: float, count: float) -> None:
        if not self.changes or count != self.changes[-1][1]:
            self.changes.append((now, count))
        # Keep one change from before the window: the start of the oldest stretch in it.
        while len(self.changes) > 2 and self.changes[1][0] < now - self.window:
            self.changes.popleft()

    def rate(self, now: float) -> float | None:
        """None until a first report arrived; 0 when the count stood still for a window."""
        stretches = count_rates(((t, count, 0.0) for t, count in self.changes), self.span)
        if not stretches:
            return None
        if now - stretches[-1].end > self.window:
            return 0.0
        return stretches[-1].requests_per_s


class Progress:
    """One status line from the Locust master's exporter: elapsed/total and time left, users,
    RPS, the run's p95 so far and its failures."""

    def __init__(self, out: TextIO, metrics_url: str, total: int | None):
        self.out = out
        self.metrics_url = metrics_url
        self.total = total
        self.load_started: float | None = None  # when users were first seen
        self.rate = RequestRate()
        self.figures: dict[str, float] = {}
        self.tty = out.isatty()
        self._last_print = 0.0

    def _scrape(self) -> dict[str, float]:
        try:
            text = requests.get(self.metrics_url, timeout=1).text
        except requests.RequestException:
            return {}
        return self._parse(text)

    @staticmethod
    def _parse(text: str) -> dict[str, float]:
        """The figures of the line from the exporter's text (counts summed over endpoints)."""
        figures: dict[str, float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name in ("locust_users", "locust_workers"):
                    figures[sample.name] = sample.value
                elif sample.name in ("locust_requests_total", "locust_failures_total"):
                    figures[sample.name] = figures.get(sample.name, 0.0) + sample.value
                elif (
                    sample.name == "locust_response_time_seconds"
                    and sample.labels.get("name") == "Aggregated"
                    and sample.labels.get("quantile") == "0.95"
                ):
                    figures["p95_ms"] = sample.value * 1000
        return figures

    def sample(self, now: float) -> None:
        """Read the exporter; every call (twice a second) sharpens the request rate."""
        figures = self._scrape()
        if not figures:
            return
        self.figures = figures
        if self.load_started is None and figures.get("locust_users", 0) > 0:
            self.load_started = now
        if self.load_started is not None:
            self.rate.add(now, figures.get("locust_requests_total", 0.0))

    def line(self, now: float) -> str:
        f = self.figures
        total = f"/{self.total}" if self.total else ""
        left = ""
        if self.load_started is None:
            clock = "starting"
        else:
            elapsed = now - self.load_started
            clock = f"{elapsed:4.0f}{total} s"
            if self.total:
                left = f"{max(self.total - elapsed, 0):.0f} s left  "
        rps = self.rate.rate(now)
        p95 = f.get("p95_ms")
        failures = f.get("locust_failures_total", 0)
        requests_made = f.get("locust_requests_total", 0)
        share = f" ({failures / requests_made:.2%})" if requests_made else ""
        return (
            f"[{clock}] {left}workers {f.get('locust_workers', 0):.0f}  "
            f"users {f.get('locust_users', 0):.0f}  "
            f"RPS {'—' if rps is None else f'{rps:.1f}'}  "
            f"p95 {'—' if p95 is None else f'{p95:.0f} ms'}  "
            f"failures {failures:.0f}{share}"
        )

    def update(self) -> None:
        now = time.monotonic()
        self.sample(now)
        # A terminal gets a live line; a log file a line every 10 s, not a flood.
        if now - self._last_print < (1.0 if self.tty else 10.0):
            return
        self._last_print = now
        line = self.line(now)
        self.out.write(("\r" + line + "\x1b[K") if self.tty else line + "\n")
        self.out.flush()

    def done(self) -> None:
        if self.tty:
            self.out.write("\n")
            self.out.flush()
