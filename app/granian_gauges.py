"""The API's connection gauges (app/metrics.py) under Granian, from what Granian exposes.

Granian serves connections in Rust, out of the app's sight, so the figures come from two places:

- the launcher reads Granian's own Prometheus exporter (bound to a loopback port of its own)
  every second: open connections summed over the workers (granian_connections_active), and the
  connection slots, backpressure x workers. A Granian worker holds one backpressure permit per
  open connection, idle keep-alive ones included, and stops accepting when they are all taken,
  as a Gunicorn gevent worker does at worker_connections;
- each worker reads the listen queue of its own listening socket (Granian on Linux gives every
  worker one, with SO_REUSEPORT) from TCP_INFO, as app/metrics.py does under Gunicorn. The
  gauge keeps the fullest worker's queue: a connection hashed to a full queue is dropped even
  when another worker's has room.
"""

import os
import socket
import threading
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from app import metrics

# Set by the launcher for its workers: the port whose listening socket each worker watches.
LISTEN_PORT_ENV = "RIG_GRANIAN_LISTEN_PORT"
EXPORTER_TIMEOUT = 2.0


def free_loopback_port() -> int:
    """A port for Granian's exporter; only this host's launcher reads it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def open_connections(exposition: str) -> float | None:
    """Sum of granian_connections_active over the workers in one scrape of Granian's exporter."""
    total = None
    for family in text_string_to_metric_families(exposition):
        if family.name == "granian_connections_active":
            total = sum(sample.value for sample in family.samples)
    return total


def watch_server(exporter_url: str, slots: int, stop: threading.Event) -> threading.Thread:
    """Launcher side: the open connections and connection slots of all workers, every second."""
    metrics.CONNECTION_SLOTS.set(slots)
    metrics.OPEN_CONNECTIONS.set(0)

    def sample() -> None:
        while not stop.wait(metrics.SAMPLE_SECONDS):
            try:
                with urllib.request.urlopen(exporter_url, timeout=EXPORTER_TIMEOUT) as answer:
                    opened = open_connections(answer.read().decode())
            except OSError:
                continue  # the exporter starts after the workers; a missed second is no figure
            if opened is not None:
                metrics.OPEN_CONNECTIONS.set(opened)

    thread = threading.Thread(target=sample, name="rig-granian-connections", daemon=True)
    thread.start()
    return thread


def listening_socket(port: int) -> socket.socket | None:
    """This process's listening TCP socket on `port` (Granian's, opened in Rust), duplicated."""
    for name in os.listdir("/proc/self/fd"):
        try:
            if not os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                continue
            sock = socket.socket(fileno=os.dup(int(name)))
        except OSError:
            continue
        try:
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) and (
                sock.getsockname()[1] == port
            ):
                return sock
        except (OSError, IndexError, TypeError):
            pass
        sock.close()
    return None


def watch_worker(port: int) -> threading.Thread:
    """Worker side: its listen queue and the queue's limit, every second (sockets appear once
    Granian's runtime starts, after the app is loaded)."""

    def sample() -> None:
        listener = None
        while True:
            time.sleep(metrics.SAMPLE_SECONDS)
            listener = listener or listening_socket(port)
            queue = metrics.listen_queue(listener) if listener else None
            if queue:
                metrics.LISTEN_QUEUE.set(queue[0])
                metrics.LISTEN_QUEUE_LIMIT.set(queue[1])

    thread = threading.Thread(target=sample, name="rig-granian-listen-queue", daemon=True)
    thread.start()
    return thread


def watch_this_worker() -> None:
    """Called when the app loads: starts the worker's sampler under Granian's launcher only."""
    port = os.environ.get(LISTEN_PORT_ENV, "")
    if port.isascii() and port.isdigit():
        watch_worker(int(port))
