"""A locustfile module for bench/loadgen_efficiency.py: samples this process once a second.

Appends "time cpu_seconds rss_bytes users requests" lines to $LOADGEN_SAMPLES.<pid>, so the
benchmark can take requests and CPU over the same window, from the same clock. It defines
no users; load it beside a real locustfile: -f loadgen/locustfile.py,bench/loadgen_sampler.py
"""

import os
import time

import gevent
import psutil
from locust import events


def _sample(environment, path: str) -> None:
    process = psutil.Process()
    with open(path, "a", buffering=1) as out:
        while True:
            runner = environment.runner
            requests = runner.stats.total.num_requests if runner else 0
            users = runner.user_count if runner else 0
            cpu = process.cpu_times()
            rss = process.memory_info().rss
            out.write(f"{time.time():.3f} {cpu.user + cpu.system:.3f} {rss} {users} {requests}\n")
            gevent.sleep(1.0)


@events.init.add_listener
def _start(environment, **_kwargs) -> None:
    base = os.environ.get("LOADGEN_SAMPLES")
    if base:
        gevent.spawn(_sample, environment, f"{base}.{os.getpid()}")
