"""Load-generator saturation guard: flags a run whose worker CPU stayed above a threshold.

Past about 90 % CPU a Locust process measures its own queueing, not the service, so such
a run is flagged in the verdict file and on stderr. The master also tallies the requests
each worker reported, which shows that every worker took part and nothing was counted twice.
"""

import logging
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field

import gevent
from locust import events
from locust.runners import MasterRunner, WorkerRunner

logger = logging.getLogger(__name__)
SAMPLE_SECONDS = 1.0


@events.init_command_line_parser.add_listener
def _arguments(parser) -> None:
    group = parser.add_argument_group("rig saturation guard")
    group.add_argument(
        "--saturation-cpu-percent",
        type=float,
        default=90.0,
        env_var="LOCUST_SATURATION_CPU_PERCENT",
        help="a load generator above this CPU use is saturated (default 90)",
    )
    group.add_argument(
        "--saturation-seconds",
        type=float,
        default=10.0,
        env_var="LOCUST_SATURATION_SECONDS",
        help="for this many seconds in a row before the run is flagged (default 10)",
    )


@dataclass
class Guard:
    """Per-process CPU history of the load generators and the requests each worker reported."""

    threshold: float = 90.0
    seconds: float = 10.0
    above_since: dict[str, float] = field(default_factory=dict)
    saturated: dict[str, float] = field(default_factory=dict)  # worker -> longest spell, s
    peak_cpu: dict[str, float] = field(default_factory=dict)
    worker_requests: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    worker_failures: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def observe(self, name: str, cpu: float, now: float) -> None:
        self.peak_cpu[name] = max(cpu, self.peak_cpu.get(name, 0.0))
        if cpu <= self.threshold:
            self.above_since.pop(name, None)
            return
        start = self.above_since.setdefault(name, now)
        spell = now - start
        if spell >= self.seconds and spell > self.saturated.get(name, -1.0):
            if name not in self.saturated:
                print(
                    f"load generator saturated: {name} above {self.threshold:g} % CPU for "
                    f"{spell:.0f} s; this run measures the load generator, not the service",
                    file=sys.stderr,
                )
            self.saturated[name] = spell

    def tally(self, client_id: str, data: dict) -> None:
        # Each worker report holds only what happened since the previous one: sum them.
        total = data.get("stats_total") or {}
        self.worker_requests[client_id] += int(total.get("num_requests", 0))
        self.worker_failures[client_id] += int(total.get("num_failures", 0))

    def workers(self) -> list[str]:
        """Every worker seen during the run (by its heartbeats or its reports)."""
        return sorted((set(self.peak_cpu) | set(self.worker_requests)) - {"local"})

    def report(self) -> dict:
        return {
            "flagged": bool(self.saturated),
            "cpu_threshold_percent": self.threshold,
            "seconds": self.seconds,
            "saturated": dict(self.saturated),
            "peak_cpu_percent": dict(self.peak_cpu),
            "worker_requests": dict(self.worker_requests),
            "worker_failures": dict(self.worker_failures),
        }


def guard_of(environment) -> Guard | None:
    return getattr(environment, "loadgen_guard", None)


def cpu_by_process(runner) -> dict[str, float]:
    """CPU use now of each load-generating process: the workers, or this process alone."""
    if isinstance(runner, MasterRunner):
        return {worker.id: float(worker.cpu_usage) for worker in runner.clients.values()}
    return {"local": float(runner.current_cpu_usage)}


def _sample(environment, guard: Guard) -> None:
    while True:
        gevent.sleep(SAMPLE_SECONDS)
        if environment.runner is None or environment.runner.state in ("stopped", "init"):
            continue
        now = time.monotonic()
        for name, cpu in cpu_by_process(environment.runner).items():
            guard.observe(name, cpu, now)


@events.init.add_listener
def _start(environment, runner=None, **_kwargs) -> None:
    if isinstance(runner, WorkerRunner) or environment.parsed_options is None:
        return
    opts = environment.parsed_options
    guard = Guard(threshold=opts.saturation_cpu_percent, seconds=opts.saturation_seconds)
    environment.loadgen_guard = guard
    environment.events.worker_report.add_listener(
        lambda client_id, data, **_kw: guard.tally(client_id, data)
    )
    gevent.spawn(_sample, environment, guard)
