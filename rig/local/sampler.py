"""psutil sampler: host and per-service CPU and memory for runs without Prometheus (samples.csv)."""

import csv
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import psutil
import redis

from rundir.files import SAMPLES_CSV

COLUMNS = [
    "time", "host", "cpu_percent", "mem_used_bytes", "mem_total_bytes", "load1",
    "net_in_bytes_per_s", "net_out_bytes_per_s",
    "api_cpu_percent", "api_rss_bytes", "redis_cpu_percent", "redis_rss_bytes",
    "redis_ops_per_s", "redis_used_memory_bytes", "redis_keys",
    "locust_cpu_percent", "locust_rss_bytes", "locust_worker_max_cpu_percent",
]  # fmt: skip


def children_by_parent() -> dict[int, list[int]]:
    """Parent PID -> child PIDs of every process now: one pass over /proc for all groups.

    psutil's children(recursive=True) makes that pass once per call, which on a box with
    thousands of processes made each sample late by seconds.
    """
    found: dict[int, list[int]] = defaultdict(list)
    for proc in psutil.process_iter(["ppid"]):
        found[proc.info["ppid"]].append(proc.pid)
    return found


def process_tree(pid: int, children: dict[int, list[int]]) -> list[psutil.Process]:
    """`pid` and all its descendants that are alive now."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo.extend(children.get(current, ()))
    procs = []
    for each in pids:
        try:
            procs.append(psutil.Process(each))
        except psutil.Error:
            continue
    return procs


class Sampler(threading.Thread):
    """Appends one row a second to samples.csv until stop(); the report reads it like metrics."""

    def __init__(
        self,
        run_dir: Path,
        groups: dict[str, Callable[[], list[int]]],
        workers: Callable[[], list[int]],
        redis_url: str,
        host: str = "local",
        interval: float = 1.0,
    ):
        super().__init__(name="rig-sampler", daemon=True)
        self.path = run_dir / SAMPLES_CSV
        self.groups = groups  # service -> root PIDs (their children count too)
        self.workers = workers  # Locust worker PIDs, each judged alone for saturation
        self.redis = redis.Redis.from_url(redis_url, socket_timeout=1)
        self.host = host
        self.interval = interval
        self._halt = threading.Event()
        # Per group: a process may count in two (a Locust worker is in "locust" and "workers").
        self._cpu_seen: dict[str, dict[int, float]] = {}
        self._last: dict[str, float] = {}

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)
        self.redis.close()

    def _cpu_delta(self, group: str, procs: list[psutil.Process]) -> tuple[float, list[float], int]:
        """CPU seconds of `group` since its previous sample, in total and per process, and RSS."""
        seen = self._cpu_seen.setdefault(group, {})
        total, each, rss = 0.0, [], 0
        for proc in procs:
            try:
                times = proc.cpu_times()
                used = times.user + times.system
                rss += proc.memory_info().rss
            except psutil.Error:
                continue
            # A process seen for the first time has no previous sample: count from now.
            delta = max(0.0, used - seen.get(proc.pid, used))
            seen[proc.pid] = used
            total += delta
            each.append(delta)
        return total, each, rss

    def _rate(self, name: str, counter: float, elapsed: float) -> float | None:
        previous = self._last.get(name)
        self._last[name] = counter
        return None if previous is None or elapsed <= 0 else max(0.0, counter - previous) / elapsed

    def sample(self, elapsed: float) -> dict:
        memory = psutil.virtual_memory()
        # Loopback only, as the Prometheus path of rig local: it carries all of the rig's traffic.
        net = psutil.net_io_counters(pernic=True).get("lo") or psutil.net_io_counters()
        row = {
            "time": round(time.time(), 3),
            "host": self.host,
            "cpu_percent": psutil.cpu_percent(interval=None),
            "mem_used_bytes": memory.total - memory.available,
            "mem_total_bytes": memory.total,
            "load1": os.getloadavg()[0],
            "net_in_bytes_per_s": self._rate("net_in", net.bytes_recv, elapsed),
            "net_out_bytes_per_s": self._rate("net_out", net.bytes_sent, elapsed),
        }
        children = children_by_parent()
        for service, roots in self.groups.items():
            procs = [p for pid in roots() for p in process_tree(pid, children)]
            seconds, _each, rss = self._cpu_delta(service, procs)
            row[f"{service}_cpu_percent"] = seconds / elapsed * 100 if elapsed > 0 else None
            row[f"{service}_rss_bytes"] = rss
        workers = [p for pid in self.workers() for p in process_tree(pid, {})]
        _total, each, _rss = self._cpu_delta("workers", workers)
        if each and elapsed > 0:
            row["locust_worker_max_cpu_percent"] = max(each) / elapsed * 100
        try:
            info = self.redis.info()
        except redis.RedisError:
            info = None
        if info:
            ops = self._rate("redis_ops", info.get("total_commands_processed", 0), elapsed)
            row["redis_ops_per_s"] = ops
            row["redis_used_memory_bytes"] = info.get("used_memory")
            row["redis_keys"] = sum(
                v.get("keys", 0)
                for k, v in info.items()
                if k.startswith("db") and isinstance(v, dict)
            )
        return row

    def run(self) -> None:
        psutil.cpu_percent(interval=None)  # the first call only sets the reference point
        with self.path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS, restval="")
            writer.writeheader()
            last = time.monotonic()
            self.sample(0.0)  # reference values for the rates
            while not self._halt.wait(self.interval):
                now = time.monotonic()
                row = self.sample(now - last)
                last = now
                writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
                handle.flush()
