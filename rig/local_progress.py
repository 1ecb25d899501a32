"""The progress line of `rig local`, read from the Locust master's Prometheus exporter."""

import time
from typing import TextIO

import requests
from prometheus_client.parser import text_string_to_metric_families


class Progress:
    """One status line from the Locust master's exporter: elapsed/total, users, RPS, failures."""

    def __init__(self, out: TextIO, metrics_url: str, total: int | None):
        self.out = out
        self.metrics_url = metrics_url
        self.total = total
        self.started = time.monotonic()
        self.tty = out.isatty()
        self._last_print = 0.0

    def _figures(self) -> dict[str, float]:
        try:
            text = requests.get(self.metrics_url, timeout=1).text
        except requests.RequestException:
            return {}
        figures: dict[str, float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name in ("locust_users", "locust_current_rps", "locust_workers"):
                    figures[sample.name] = sample.value
                elif sample.name == "locust_failures_total":
                    figures["failures"] = figures.get("failures", 0.0) + sample.value
        return figures

    def update(self) -> None:
        now = time.monotonic()
        # A terminal gets a live line; a log file a line every 10 s, not a flood.
        if now - self._last_print < (1.0 if self.tty else 10.0):
            return
        self._last_print = now
        f = self._figures()
        elapsed = now - self.started
        total = f"/{self.total}" if self.total else ""
        line = (
            f"[{elapsed:4.0f}{total} s] workers {f.get('locust_workers', 0):.0f}  "
            f"users {f.get('locust_users', 0):.0f}  RPS {f.get('locust_current_rps', 0):.1f}  "
            f"failures {f.get('failures', 0):.0f}"
        )
        self.out.write(("\r" + line + "\x1b[K") if self.tty else line + "\n")
        self.out.flush()

    def done(self) -> None:
        if self.tty:
            self.out.write("\n")
            self.out.flush()
