"""Load-generator saturation guard: flags a run whose worker CPU stayed above a threshold.

Past about 90 % CPU a Locust process measures its own queueing, not the service, so such
a run is flagged in the verdict file and on stderr. The master also tallies the requests
each worker reported, which shows that every worker took part and nothing was counted twice.

Each load generator measures its own CPU: a worker sends it with every stats report (3 s),
a single process samples itself every second. Locust's own figure (the heartbeat's
`current_cpu_usage`) is sampled only every 10 s and its first reading is always 0, so a
short run would look idle.
"""

import logging
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field

import gevent
import psutil
from locust import events
from locust.runners import MasterRunner, WorkerRunner

from rundir.outcome import SATURATION_CPU_PERCENT

logger = logging.getLogger(__name__)
SAMPLE_SECONDS = 1.0
CPU_KEY = "loadgen_cpu_percent"  # in a worker's stats report


@events.init_command_line_parser.add_listener
def _arguments(parser) -> None:
    group = parser.add_argument_group("rig saturation guard")
    group.add_argument(
        "--saturation-cpu-percent",
        type=float,
        default=SATURATION_CPU_PERCENT,
        env_var="LOCUST_SATURATION_CPU_PERCENT",
        help="a load generator above this CPU use (percent) is saturated "
        f"(default {SATURATION_CPU_PERCENT:g})",
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

    threshold: float = SATURATION_CPU_PERCENT
    seconds: float = 10.0
    above_since: dict[str, float] = field(default_factory=dict)
    saturated: dict[str, float] = field(default_factory=dict)  # worker -> longest spell, s
    peak_cpu: dict[str, float] = field(default_factory=dict)
    cpu_now: dict[str, float] = field(default_factory=dict)  # the latest reading of each
    worker_requests: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    worker_failures: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def observe(self, name: str, cpu: float, now: float) -> None:
        self.cpu_now[name] = cpu
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
        if data.get(CPU_KEY) is not None:
            self.observe(client_id, float(data[CPU_KEY]), time.monotonic())

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


class CpuMeter:
    """CPU use of this process since the previous reading, in % of one core."""

    def __init__(self):
        self._process = psutil.Process()  # after --processes forked: this very worker
        self._last = (time.monotonic(), self._cpu_seconds())

    def _cpu_seconds(self) -> float:
        times = self._process.cpu_times()
        return times.user + times.system

    def read(self) -> float:
        now, cpu = time.monotonic(), self._cpu_seconds()
        then, before = self._last
        self._last = (now, cpu)
        return 100.0 * (cpu - before) / (now - then) if now > then else 0.0


def cpu_by_process(environment) -> dict[str, float]:
    """Latest CPU use of each load-generating process: the connected workers, or `local`."""
    guard, runner = guard_of(environment), environment.runner
    if guard is None or runner is None:
        return {}
    if isinstance(runner, MasterRunner):
        return {w.id: guard.cpu_now[w.id] for w in runner.clients.values() if w.id in guard.cpu_now}
    return {"local": guard.cpu_now["local"]} if "local" in guard.cpu_now else {}


def _sample_self(environment, guard: Guard, meter: CpuMeter) -> None:
    while True:
        gevent.sleep(SAMPLE_SECONDS)
        reading = meter.read()  # read while idle too, so the next reading covers one interval
        if environment.runner is not None and environment.runner.state not in ("stopped", "init"):
            guard.observe("local", reading, time.monotonic())


@events.init.add_listener
def _start(environment, runner=None, **_kwargs) -> None:
    if environment.parsed_options is None:
        return
    if isinstance(runner, WorkerRunner):
        meter = CpuMeter()

        def _send_cpu(data: dict, **_kw) -> None:
            data[CPU_KEY] = meter.read()  # CPU since the previous report, 3 s by default

        environment.events.report_to_master.add_listener(_send_cpu)
        return
    opts = environment.parsed_options
    guard = Guard(threshold=opts.saturation_cpu_percent, seconds=opts.saturation_seconds)
    environment.loadgen_guard = guard
    if isinstance(runner, MasterRunner):
        environment.events.worker_report.add_listener(
            lambda client_id, data, **_kw: guard.tally(client_id, data)
        )
    else:
        gevent.spawn(_sample_self, environment, guard, CpuMeter())
