"""The event-hook plugins on real runs: exporter, SLO gates, capacity search, consistency check."""

import contextlib
import json
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs, urlparse

import pytest
from prometheus_client.parser import text_string_to_metric_families

from loadgen import runner
from rig.ports import free_port
from rundir.files import HISTORY_CSV
from rundir.history import read_history
from tests import loadgen_support as lg


def _scrape(port: int) -> list:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1) as response:
        text = response.read().decode()
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def test_exporter_numbers_equal_locusts_own_statistics(api, tmp_path):
    port = free_port()
    run_dir = tmp_path / "run"
    extra = ["--seed-count", "20", "--prometheus-linger", "3", "--only-summary"]
    argv = runner.master_argv("get_field", api.url, run_dir, 0, "3s", 4, 4, port, extra=extra)
    log = tmp_path / "locust.log"
    process = lg.start(argv, log, tmp_path)
    last = None
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            last = _scrape(port)  # the last scrape falls in the linger, after the final stats
        time.sleep(0.2)
    assert lg.finish(process, log, 30) == 0, lg.tail(log)
    assert last, "the exporter never answered"

    def value(metric, **labels):
        found = [s.value for s in last if s.name == metric and labels.items() <= s.labels.items()]
        assert len(found) == 1, (metric, labels, found)
        return found[0]

    rows = lg.stats_rows(run_dir)
    for (method, name), row in rows.items():
        if name == "Aggregated":
            continue
        assert value("locust_requests_total", method=method, name=name) == int(row["Request Count"])
        assert value("locust_failures_total", method=method, name=name) == 0
        for quantile, column in (("0.5", "50%"), ("0.95", "95%"), ("0.99", "99%")):
            seconds = value("locust_response_time_seconds", name=name, quantile=quantile)
            assert seconds * 1000 == pytest.approx(float(row[column]), abs=1)
    total = rows[("", "Aggregated")]
    assert value("locust_response_time_seconds", name="Aggregated", quantile="0.95") * 1000 == (
        pytest.approx(float(total["95%"]), abs=1)
    )
    assert value("locust_users") == 0  # the test is over: every user stopped
    assert value("locust_workers") == 0  # a single process has none
    assert value("locust_worker_cpu_percent", worker="local") >= 0
    assert int(total["Request Count"]) > 0


def test_impossible_slo_fails_the_run_with_a_json_verdict(api, tmp_path):
    run_dir = tmp_path / "run"
    extra = ["--prometheus-port", "0", "--slo-p95-ms", "0.001", "--slo-fail-ratio", "0.01"]
    argv = runner.master_argv("small_json", api.url, run_dir, 0, "2s", 2, 2, extra=extra)
    log = tmp_path / "locust.log"
    assert lg.run(argv, log, tmp_path, 60) == 3, lg.tail(log)
    verdict = lg.read_json(run_dir / "locust_slo.json")
    gates = {gate["name"]: gate for gate in verdict["gates"]}
    assert verdict["passed"] is False and verdict["enforced"] is True
    assert gates["p95_ms"]["passed"] is False and gates["p95_ms"]["threshold"] == 0.001
    assert gates["p95_ms"]["measured"] > 0.001
    assert gates["fail_ratio"]["passed"] is True and gates["fail_ratio"]["measured"] == 0
    assert "SLO gate missed: p95_ms" in log.read_text()


def test_capacity_search_stops_at_the_step_that_breaks_a_gate(start_api, tmp_path):
    slow = start_api(RIG_WORKERS="1", RIG_WORKER_CLASS="sync")  # one request at a time
    run_dir = tmp_path / "run"
    extra = [
        "--prometheus-port", "0", "--seed-count", "50", "--only-summary",
        "--capacity-start-users", "1", "--capacity-step-users", "15",
        "--capacity-max-users", "91", "--capacity-step-time", "3s",
        "--capacity-spawn-rate", "100", "--slo-p95-ms", "25",
    ]  # fmt: skip
    argv = runner.master_argv("capacity", slow.url, run_dir, 0, extra=extra)
    log = tmp_path / "locust.log"
    assert lg.run(argv, log, tmp_path, 90) == 0, lg.tail(log)
    result = lg.read_json(run_dir / "locust_capacity.json")
    assert result["finished"] and result["reason"] == "a gate broke", result
    broke, steps = result["broke"], result["steps"]
    assert broke["missed"] == ["p95_ms"] and broke["p95_ms"] > 25
    assert broke["users"] < 91 and broke["requests"] > 0
    # Steps of 15 users from 1, each held but the last; the last held one is the one before.
    assert [s["users"] for s in steps] == list(range(1, broke["users"] + 1, 15))
    assert steps[-1] == broke
    assert all(s["held"] and s["p95_ms"] <= 25 and s["rps"] > 0 for s in steps[:-1])
    assert result["last_held"] == (steps[-2] if len(steps) > 1 else None)
    # It stopped at the broken step: no user beyond it ever ran.
    history = read_history(run_dir / HISTORY_CSV)
    users = [int(r["User Count"]) for r in history if (r.get("User Count") or "").isdigit()]
    assert max(users) == broke["users"]
    verdict = lg.read_json(run_dir / "locust_slo.json")
    assert verdict["enforced"] is False  # a capacity search breaks a gate on purpose


class _DropWrites(BaseHTTPRequestHandler):
    """An API that answers every update with success but never stores it."""

    docs: ClassVar[dict[str, bytes]] = {}

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_POST(self):
        url = urlparse(self.path)
        doc_id = parse_qs(url.query).get("id", ["x"])[0]
        self.docs[doc_id] = self._body()
        self._send(201, json.dumps({"id": doc_id}).encode())

    def do_PATCH(self):
        self._body()  # read and drop the new value
        self._send(200, b'{"updated": 1}')

    def do_GET(self):
        doc_id = urlparse(self.path).path.rsplit("/", 1)[-1]
        doc = json.loads(self.docs.get(doc_id, b"{}") or b"{}")
        self._send(200, json.dumps([doc.get("stats", {}).get("attack")]).encode())

    def do_DELETE(self):
        self._send(200, b'{"deleted": 1}')

    def log_message(self, *_args):
        pass


def test_consistency_task_catches_an_update_that_was_dropped(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _DropWrites)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host = f"http://127.0.0.1:{server.server_address[1]}"
        run_dir = tmp_path / "run"
        argv = runner.master_argv(
            "consistency", host, run_dir, 0, "2s", 2, 2, extra=["--prometheus-port", "0"]
        )
        log = tmp_path / "locust.log"
        assert lg.run(argv, log, tmp_path, 60) == 1, lg.tail(log)  # Locust: failures, exit 1
    finally:
        server.shutdown()
        server.server_close()
    rows = lg.stats_rows(run_dir)
    check = rows[("GET", "consistency")]
    assert int(check["Request Count"]) > 0
    assert check["Failure Count"] == check["Request Count"]
    assert rows[("PATCH", "consistency: write")]["Failure Count"] == "0"
    failures = (run_dir / "locust_failures.csv").read_text()
    assert "wrote" in failures and "read back" in failures


OWN_LOCUSTFILE = """
from locust import FastHttpUser, task
from loadgen.plugins import prometheus_exporter, slo  # noqa: F401

class OwnServiceUser(FastHttpUser):
    @task
    def health(self):
        self.client.get("/healthz")
"""


def test_a_users_own_locustfile_gets_the_plugins(api, tmp_path):
    locustfile = tmp_path / "own.py"
    locustfile.write_text(OWN_LOCUSTFILE)
    port = free_port()
    run_dir = tmp_path / "run"
    argv = [
        sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "-H", api.url,
        "-u", "2", "-r", "2",
        "-t", "2s", "--csv", str(run_dir / "locust"), "--prometheus-port", str(port),
        "--slo-p95-ms", "60000", "--slo-min-rps", "1",
    ]  # fmt: skip
    log = tmp_path / "locust.log"
    assert lg.run(argv, log, tmp_path, 60) == 0, lg.tail(log)
    verdict = lg.read_json(run_dir / "locust_slo.json")
    assert verdict["passed"] is True and [g["name"] for g in verdict["gates"]] == [
        "p95_ms",
        "rps",
    ]
    assert int(lg.stats_rows(run_dir)[("GET", "/healthz")]["Request Count"]) > 0
    assert "Prometheus metrics on :" in log.read_text()


YIELDING_LOCUSTFILE = (
    OWN_LOCUSTFILE
    + """
import gevent
from locust import events

@events.quit.add_listener
def _slow_quit(**_kwargs):
    gevent.sleep(1.5)  # a plugin that yields after Locust saved --json-file, as any I/O may
"""
)


def test_csv_per_name_rows_survive_a_plugin_that_yields_at_exit(api, tmp_path):
    locustfile = tmp_path / "own.py"
    locustfile.write_text(YIELDING_LOCUSTFILE)
    run_dir = tmp_path / "run"
    argv = [
        sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "-H", api.url,
        "-u", "2", "-r", "2", "-t", "2s", "--csv", str(run_dir / "locust"),
        "--json-file", str(run_dir / "locust_stats"), "--prometheus-port", "0", "--only-summary",
    ]  # fmt: skip
    log = tmp_path / "locust.log"
    assert lg.run(argv, log, tmp_path, 60) == 0, lg.tail(log)
    rows = lg.stats_rows(run_dir)
    total = int(rows[("", "Aggregated")]["Request Count"])
    dumped = lg.read_json(run_dir / "locust_stats.json")
    assert int(rows[("GET", "/healthz")]["Request Count"]) == total > 0
    assert [(e["name"], e["num_requests"]) for e in dumped] == [("/healthz", total)]
