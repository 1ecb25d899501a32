"""The API's connection gauges under real Granian (app/granian_gauges.py): open connections
against backpressure slots from Granian's own exporter, the listen queue from each worker's
socket; and Granian's limits sized from the crowd (rig/sizing.py)."""

import socket

from app.granian_conf import GranianSettings
from rig import serve, sizing
from tests.test_connection_gauges import _idle_clients, _poll


def _granian(json_redis, tmp_path, **settings):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    settings["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    api = serve.start(
        json_redis.url, settings=settings, log_path=tmp_path / "granian.log", server="granian"
    )
    return api, metrics_dir


def test_open_connections_slots_and_listen_queue_are_exported(json_redis, tmp_path):
    api, metrics_dir = _granian(
        json_redis, tmp_path, RIG_WORKERS="1", RIG_BACKPRESSURE="4", RIG_BACKLOG="128",
        RIG_KEEPALIVE="60",
    )  # fmt: skip
    try:
        # Seven idle clients: four hold the backpressure permits, three wait in the queue.
        idle = _idle_clients(api.port, 7)
        try:
            values = _poll(
                metrics_dir,
                lambda v: (
                    v.get("rig_api_listen_queue") == 3 and v.get("rig_api_open_connections") == 4
                ),
            )
        finally:
            for conn in idle:
                conn.close()
        assert values["rig_api_connection_slots"] == 4
        assert values["rig_api_open_connections"] == 4
        assert values["rig_api_listen_queue"] == 3
        assert values["rig_api_listen_queue_limit"] == min(128, sizing.listen_backlog_limit())
        after = _poll(
            metrics_dir,
            lambda v: v.get("rig_api_open_connections") == 0 and v.get("rig_api_listen_queue") == 0,
        )
        assert after["rig_api_open_connections"] == 0 and after["rig_api_listen_queue"] == 0
    finally:
        api.stop()


def test_slots_add_up_over_workers_and_default_to_backlog_shared_out(json_redis, tmp_path):
    api, metrics_dir = _granian(json_redis, tmp_path, RIG_WORKERS="2", RIG_BACKLOG="256")
    try:
        values = _poll(metrics_dir, lambda v: v.get("rig_api_connection_slots") == 256)
        assert values["rig_api_connection_slots"] == 256  # 2 workers x 256 // 2
        conn = socket.create_connection(("127.0.0.1", api.port), timeout=5)
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        assert conn.recv(64).startswith(b"HTTP/1.1 200")
        try:
            values = _poll(metrics_dir, lambda v: v.get("rig_api_open_connections") == 1)
        finally:
            conn.close()
        assert values["rig_api_open_connections"] == 1
    finally:
        api.stop()


def test_connection_slots_follow_backpressure_or_the_backlog():
    assert GranianSettings(workers=4, backlog=2048).connection_slots == 512
    assert GranianSettings(workers=4, backpressure=3000).connection_slots == 3000
    assert GranianSettings(workers=4096, backlog=128).connection_slots == 1
