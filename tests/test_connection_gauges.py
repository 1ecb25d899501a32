"""The API's connection gauges (app/metrics.py) under real Gunicorn workers; Granian's are in
tests/test_granian_gauges.py."""

import socket
import time

from prometheus_client import CollectorRegistry, generate_latest, multiprocess

from reports import connection_limits


def _gauges(directory) -> dict[str, float]:
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(directory))
    values = {}
    for line in generate_latest(registry).decode().splitlines():
        if line.startswith("rig_api_") and not line.startswith("rig_api_request"):
            name, value = line.rsplit(" ", 1)
            values[name.split("{")[0]] = values.get(name.split("{")[0], 0) + float(value)
    return values


def _poll(directory, want, timeout: float = 10.0) -> dict[str, float]:
    deadline = time.monotonic() + timeout
    while True:
        values = _gauges(directory)
        if want(values) or time.monotonic() > deadline:
            return values
        time.sleep(0.2)


def _idle_clients(port: int, count: int) -> list[socket.socket]:
    """Clients that ask once and then keep their connection open."""
    idle = []
    for _ in range(count):
        conn = socket.create_connection(("127.0.0.1", port), timeout=5)
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        idle.append(conn)
    return idle


def test_gevent_open_connections_slots_and_listen_queue_are_exported(start_api, tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    api = start_api(
        RIG_WORKER_CLASS="gevent",
        RIG_WORKERS="1",
        RIG_WORKER_CONNECTIONS="4",
        RIG_KEEPALIVE="60",
        RIG_BACKLOG="32",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    # Seven idle clients: four hold the slots, the other three wait in the listen queue.
    idle = _idle_clients(api.port, 7)
    try:
        values = _poll(
            metrics_dir,
            lambda v: v.get("rig_api_listen_queue") == 3 and v.get("rig_api_open_connections") == 4,
        )
    finally:
        for conn in idle:
            conn.close()
    assert values["rig_api_connection_slots"] == 4
    assert values["rig_api_open_connections"] == 4
    assert values["rig_api_listen_queue"] == 3
    assert values["rig_api_listen_queue_limit"] == 32
    after = _poll(
        metrics_dir,
        lambda v: v.get("rig_api_open_connections") == 0 and v.get("rig_api_listen_queue") == 0,
    )
    assert after["rig_api_open_connections"] == 0 and after["rig_api_listen_queue"] == 0


def test_gthread_exports_its_slots_and_own_connection_count(start_api, tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    api = start_api(
        RIG_WORKER_CLASS="gthread",
        RIG_WORKERS="1",
        RIG_THREADS="2",
        RIG_WORKER_CONNECTIONS="8",
        RIG_KEEPALIVE="60",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    idle = _idle_clients(api.port, 3)  # kept alive: 8 slots - 2 threads leave room for 6
    try:
        values = _poll(metrics_dir, lambda v: v.get("rig_api_open_connections") == 3)
    finally:
        for conn in idle:
            conn.close()
    assert values["rig_api_connection_slots"] == 8
    assert values["rig_api_open_connections"] == 3


def _series(key: str, values: list[float]) -> dict:
    return {"key": key, "points": [[float(t), v] for t, v in enumerate(values)]}


def test_the_connection_limit_line_only_when_the_slots_were_full():
    full = {
        "series": [
            _series("api_open_connections", [5, 2000, 1990]),
            _series("api_connection_slots", [2000, 2000, 2000]),
            _series("api_listen_queue", [0, 4096, 100]),
            _series("api_listen_queue_limit", [4096] * 3),
        ]
    }
    line = connection_limits.connection_limit(full)
    assert line.startswith("the API's connection slots: 2,000 of 2,000 connections open")
    assert "up to 4,096 more waiting in the listen queue (queue limit 4,096)" in line
    roomy = {
        "series": [_series("api_open_connections", [40]), _series("api_connection_slots", [2000])]
    }
    assert connection_limits.connection_limit(roomy) is None
    assert connection_limits.bottlenecks({"series": []}) == []


def test_a_full_listen_queue_with_free_slots_is_the_accept_rate():
    starved = {
        "series": [
            _series("api_open_connections", [3, 80, 10]),
            _series("api_connection_slots", [39488] * 3),
            _series("api_listen_queue", [0, 4097, 4097]),
            _series("api_listen_queue_limit", [4096] * 3),
            _series("api_cpu_percent", [14, 14, 14]),
            _series("cpu_percent", [100, 100, 100]),
        ]
    }
    assert connection_limits.connection_limit(starved) is None
    (line,) = connection_limits.bottlenecks(starved)
    assert line.startswith("the API's accept rate: its listen queue was full (4,097 of 4,096)")
    assert "only 80 of 39,488 connection slots" in line and "API CPU avg 14 %" in line
