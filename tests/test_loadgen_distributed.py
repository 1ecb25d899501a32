"""A real master and four real worker processes load the live API; every request counted once."""

import contextlib
import sys
import time
import urllib.request

import psutil
from prometheus_client.parser import text_string_to_metric_families

from loadgen import runner
from rig import processes
from rig.ports import free_port
from tests import loadgen_support as lg


def _count(client, pattern: str) -> int:
    return sum(1 for _ in client.scan_iter(match=pattern, count=1000))


def _samples(port: int) -> list:
    """Every sample the master's exporter shows now; none while it is not up yet."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1) as response:
            text = response.read().decode()
    except OSError:
        return []
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def _scrape(port: int) -> dict[str, float]:
    return {sample.name: sample.value for sample in _samples(port) if not sample.labels}


def test_master_and_four_workers_count_each_request_once(api, redis_client, tmp_path):
    run_dir = tmp_path / "run"
    master_port, metrics_port = free_port(), free_port()
    json_before = _count(redis_client, "rig:json:*")
    string_before = _count(redis_client, "rig:string:*")
    # --stop-timeout lets users finish the request in flight, so none is lost in the count.
    master = runner.master_argv(
        "post_15k",
        api.url,
        run_dir,
        4,
        "5s",
        8,
        8,
        metrics_port,
        master_port,
        # --doc-pool 0: every POST writes a new key (a pool overwrites), so keys count requests.
        extra=["--stop-timeout", "10", "--only-summary", "--doc-pool", "0"],
    )
    master_log = tmp_path / "master.log"
    started = [lg.start(master, master_log, tmp_path)]
    try:
        for index in range(4):
            worker = runner.worker_argv("127.0.0.1", master_port)
            started.append(lg.start(worker, tmp_path / f"worker{index}.log", tmp_path))
        workers_seen = 0.0
        deadline = time.monotonic() + 90
        while started[0].poll() is None and time.monotonic() < deadline:
            workers_seen = max(workers_seen, _scrape(metrics_port).get("locust_workers", 0.0))
            time.sleep(0.2)
        code = lg.finish(started[0], master_log, timeout=30)
    finally:
        for process in started:
            processes.stop(process)
    assert code == 0, lg.tail(master_log)
    assert workers_seen == 4

    verdict = lg.read_json(run_dir / "locust_slo.json")
    per_worker = verdict["load_generator"]["worker_requests"]
    assert verdict["workers"] == 4 and len(per_worker) == 4
    assert all(count > 0 for count in per_worker.values()), per_worker

    rows = lg.stats_rows(run_dir)
    add_json = int(rows[("POST", "/api/v1/add_json")]["Request Count"])
    add_string = int(rows[("POST", "/api/v1/add_string")]["Request Count"])
    total = int(rows[("", "Aggregated")]["Request Count"])
    assert int(rows[("", "Aggregated")]["Failure Count"]) == 0
    assert total == add_json + add_string == sum(per_worker.values()) == verdict["requests"]
    # The CSV's per-name rows add up to its Aggregated row and are the JSON's numbers.
    per_name = {key: row for key, row in rows.items() if key[1] != "Aggregated"}
    for column in ("Request Count", "Failure Count"):
        assert sum(int(row[column]) for row in per_name.values()) == int(
            rows[("", "Aggregated")][column]
        )
    dumped = {(e["method"], e["name"]): e for e in lg.read_json(run_dir / "locust_stats.json")}
    assert set(dumped) == set(per_name)
    for key, row in per_name.items():
        assert int(row["Request Count"]) == dumped[key]["num_requests"] > 0
        assert int(row["Failure Count"]) == dumped[key]["num_failures"]
    # Each POST made exactly one new key: the master neither lost nor doubled a request.
    assert _count(redis_client, "rig:json:*") - json_before == add_json
    assert _count(redis_client, "rig:string:*") - string_before == add_string


def test_one_worker_command_can_fork_four_workers(api, tmp_path):
    run_dir = tmp_path / "run"
    master_port = free_port()
    master = runner.master_argv(
        "small_json", api.url, run_dir, 4, "3s", 4, 4, 0, master_port, ["--only-summary"]
    )
    master_log = tmp_path / "master.log"
    started = [lg.start(master, master_log, tmp_path)]
    try:
        worker = runner.worker_argv("127.0.0.1", master_port, processes=4)
        started.append(lg.start(worker, tmp_path / "workers.log", tmp_path))
        code = lg.finish(started[0], master_log, timeout=90)
    finally:
        for process in started:
            processes.stop(process)
    assert code == 0, lg.tail(master_log)
    verdict = lg.read_json(run_dir / "locust_slo.json")
    assert verdict["workers"] == 4 and verdict["failures"] == 0
    assert sum(verdict["load_generator"]["worker_requests"].values()) == verdict["requests"] > 0


BUSY_LOCUSTFILE = """
import time
from locust import User, constant, task
from loadgen.plugins import prometheus_exporter, slo  # noqa: F401

class BusyUser(User):
    wait_time = constant(0)

    @task
    def spin(self):
        started = time.perf_counter()
        while time.perf_counter() - started < 0.05:  # pure CPU, as a saturated worker spends it
            pass
        self.environment.events.request.fire(
            request_type="CPU", name="spin", response_time=50, response_length=0,
            exception=None, context={},
        )
"""


def _worker_cpu(port: int) -> dict[str, float]:
    return {
        sample.labels["worker"]: sample.value
        for sample in _samples(port)
        if sample.name == "locust_worker_cpu_percent"
    }


def test_busy_workers_export_their_real_cpu(tmp_path):
    locustfile = tmp_path / "busy.py"
    locustfile.write_text(BUSY_LOCUSTFILE)
    run_dir = tmp_path / "run"
    master_port, metrics_port = free_port(), free_port()
    # Shorter than Locust's own 10 s CPU sampling, whose first reading is always 0.
    master = [
        sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "-u", "2", "-r", "2",
        "-t", "8s", "--master", "--master-bind-port", str(master_port), "--expect-workers", "2",
        "--csv", str(run_dir / "locust"), "--prometheus-port", str(metrics_port), "--only-summary",
    ]  # fmt: skip
    master_log = tmp_path / "master.log"
    started = [lg.start(master, master_log, tmp_path)]
    exported: dict[str, list[float]] = {}
    measured: dict[int, list[float]] = {}
    try:
        for index in range(2):
            worker = runner.worker_argv("127.0.0.1", master_port, locustfile=locustfile)
            started.append(lg.start(worker, tmp_path / f"worker{index}.log", tmp_path))
        workers = [psutil.Process(process.pid) for process in started[1:]]
        for process in workers:
            process.cpu_percent()
        deadline = time.monotonic() + 90
        while started[0].poll() is None and time.monotonic() < deadline:
            time.sleep(1)
            for process in workers:
                with contextlib.suppress(psutil.Error):
                    measured.setdefault(process.pid, []).append(process.cpu_percent())
            for worker, value in _worker_cpu(metrics_port).items():
                exported.setdefault(worker, []).append(value)
        code = lg.finish(started[0], master_log, timeout=30)
    finally:
        for process in started:
            processes.stop(process)
    assert code == 0, lg.tail(master_log)
    busy = {pid: max(values) for pid, values in measured.items()}
    assert len(busy) == 2 and min(busy.values()) > 20, busy  # psutil: the workers were busy
    peaks = {worker: max(values) for worker, values in exported.items()}
    assert len(peaks) == 2, exported
    ceiling = 100 * (psutil.cpu_count() or 1) + 5
    assert all(10 < peak <= ceiling for peak in peaks.values()), (peaks, busy)
    guard = lg.read_json(run_dir / "locust_slo.json")["load_generator"]
    assert sorted(guard["peak_cpu_percent"]) == sorted(peaks)
    assert all(peak > 10 for peak in guard["peak_cpu_percent"].values()), guard
