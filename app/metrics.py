"""The API's Prometheus metrics, correct across Gunicorn worker processes.

Under Gunicorn, app/gunicorn.conf.py sets PROMETHEUS_MULTIPROC_DIR before any worker starts;
each worker then writes its values to files there and /metrics sums them.
"""

import functools
import os
import socket
import struct
import threading
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter(
    "rig_api_requests_total", "HTTP requests answered, by endpoint and status",
    ["method", "endpoint", "status"],
)  # fmt: skip
LATENCY = Histogram(
    "rig_api_request_duration_seconds", "Time to answer a request, in the worker",
    ["method", "endpoint"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)  # fmt: skip
REDIS_ERRORS = Counter("rig_api_redis_errors_total", "Redis errors seen by the API", ["error"])

# Connection slots: a worker serves at most this many client connections at once; the rest wait
# in the kernel's listen queue. "liveall" keeps one series per live worker (a pid label).
OPEN_CONNECTIONS = Gauge(
    "rig_api_open_connections", "Client connections this worker holds open (serving or idle)",
    multiprocess_mode="liveall",
)  # fmt: skip
CONNECTION_SLOTS = Gauge(
    "rig_api_connection_slots", "Client connections this worker can hold open at once",
    multiprocess_mode="liveall",
)  # fmt: skip
# Every worker sees the same listen socket, so the largest reading is the queue.
LISTEN_QUEUE = Gauge(
    "rig_api_listen_queue", "Connections the kernel accepted that wait for a worker",
    multiprocess_mode="livemax",
)  # fmt: skip
LISTEN_QUEUE_LIMIT = Gauge(
    "rig_api_listen_queue_limit", "Length of the listen queue (backlog, capped by somaxconn)",
    multiprocess_mode="livemax",
)  # fmt: skip
SAMPLE_SECONDS = 1.0


# labels() takes a lock and builds a key on every call; the children are kept instead.
_children: dict[tuple[str, str, int], tuple] = {}


def observe(method: str, endpoint: str, status: int, seconds: float) -> None:
    key = (method, endpoint, status)
    children = _children.get(key)
    if children is None:
        children = _children[key] = (
            REQUESTS.labels(method, endpoint, str(status)),
            LATENCY.labels(method, endpoint),
        )
    children[0].inc()
    children[1].observe(seconds)


def redis_error(name: str) -> None:
    REDIS_ERRORS.labels(name).inc()


def exposition() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST


def listen_queue(sock) -> tuple[int, int] | None:
    """(waiting, limit) of a listening TCP socket, from Linux's TCP_INFO.

    For a listener the kernel puts the accept queue's length in tcpi_unacked and its limit in
    tcpi_sacked (bytes 24-31 of struct tcp_info). None where TCP_INFO is not available.
    """
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    except (OSError, AttributeError):
        return None
    if len(info) < 32:
        return None
    return struct.unpack_from("II", info, 24)


def watch_worker(worker) -> None:
    """Export a Gunicorn worker's connections (call from post_worker_init).

    gevent and sync workers serve a connection inside worker.handle(), so it is counted
    there; the gthread worker keeps its own count (nr_conns). A sampler refreshes the counts
    and the listen queue every second, also while every slot is taken.
    """
    kind = type(worker).__name__
    slots = 1 if kind == "SyncWorker" else int(worker.cfg.worker_connections)
    CONNECTION_SLOTS.set(slots)
    OPEN_CONNECTIONS.set(0)
    open_now = [0]
    if not hasattr(worker, "nr_conns"):
        handle = worker.handle

        @functools.wraps(handle)
        def counted(*args, **kwargs):
            open_now[0] += 1
            OPEN_CONNECTIONS.set(open_now[0])
            try:
                return handle(*args, **kwargs)
            finally:
                open_now[0] -= 1
                OPEN_CONNECTIONS.set(open_now[0])

        worker.handle = counted

    def sample() -> None:
        while worker.alive:
            if hasattr(worker, "nr_conns"):
                OPEN_CONNECTIONS.set(worker.nr_conns)
            queues = [q for q in (listen_queue(s) for s in worker.sockets) if q]
            if queues:
                LISTEN_QUEUE.set(max(q[0] for q in queues))
                LISTEN_QUEUE_LIMIT.set(max(q[1] for q in queues))
            time.sleep(SAMPLE_SECONDS)  # gevent-patched under gevent workers: a greenlet

    threading.Thread(target=sample, name="rig-connection-metrics", daemon=True).start()
