"""rig local's Prometheus and exporters: every target up, process groups see only this run's."""

import re
import subprocess
import sys
import time
import uuid

import psutil
import pytest
import requests
import yaml

from rig import processes, serve
from rig.local import monitor as local_monitor
from rig.ports import free_port, http_ok, port_is_open, wait_until
from tests.support import require_binary, server_workers

pytestmark = pytest.mark.live

SLEEPER = "import time, sys\ntime.sleep(60)"


def _query(url: str, promql: str) -> dict[str, float]:
    body = requests.get(f"{url}/api/v1/query", params={"query": promql}, timeout=5).json()
    return {
        item["metric"].get("groupname", item["metric"].get("job", "")): float(item["value"][1])
        for item in body["data"]["result"]
    }


def test_monitoring_scrapes_every_exporter_and_tells_process_groups_apart(tmp_path, json_redis):
    for binary in (local_monitor.PROMETHEUS, local_monitor.NODE_EXPORTER,
                   local_monitor.REDIS_EXPORTER, local_monitor.PROCESS_EXPORTER):  # fmt: skip
        require_binary(binary, binary)
    master_port = free_port()
    # Stand-ins with the command lines of this run's API and a Locust worker; another
    # "Gunicorn" of someone else's must not be counted.
    ours = subprocess.Popen([sys.executable, "-c", SLEEPER, "--name", "rig-api-test-run"])
    other = subprocess.Popen([sys.executable, "-c", SLEEPER, "--name", "rig-api-other"])
    worker = subprocess.Popen(
        [sys.executable, "-c", SLEEPER, "--worker", "--master-port", str(master_port)]
    )
    groups = local_monitor.ProcessGroups("rig-api-test-run", json_redis.port, master_port)
    monitoring = local_monitor.start(
        tmp_path / "prom", tmp_path, json_redis.url, "127.0.0.1:1", "127.0.0.1:2", groups
    )
    try:
        deadline = time.monotonic() + 30
        up = {}
        while time.monotonic() < deadline:
            up = _query(monitoring.url, "up")
            if all(up.get(job) == 1 for job in ("node", "redis", "process")):
                break
            time.sleep(1)
        assert {job: up.get(job) for job in ("node", "redis", "process")} == dict.fromkeys(
            ("node", "redis", "process"), 1.0
        )
        procs = _query(monitoring.url, 'namedprocess_namegroup_num_procs{instance="local"}')
        assert procs == {"api": 1.0, "redis": 1.0, "locust": 1.0}
        assert _query(monitoring.url, "redis_up") == {"redis": 1.0}
    finally:
        monitoring.stop()
        for proc in (ours, other, worker):
            proc.kill()
            proc.wait()
    for address in [*monitoring.targets.values(), monitoring.url.removeprefix("http://")]:
        _host, port = address.rsplit(":", 1)
        if int(port) > 2:  # the two stand-in targets above never listened
            assert not port_is_open(int(port)), address
    assert all(proc.poll() is not None for proc in monitoring.procs)


def _api_processes(metrics_url: str) -> float | None:
    text = requests.get(metrics_url, timeout=5).text
    found = re.search(r'^namedprocess_namegroup_num_procs\{groupname="api"\} (\S+)$', text, re.M)
    return float(found[1]) if found else None


@pytest.mark.parametrize("server", serve.SERVERS)
def test_process_exporter_counts_every_process_of_the_api(tmp_path, json_redis, server):
    """The report's API CPU is the `api` group's: the server's first process, found by the run's
    name in its command line, and every process it starts (a respawned Granian worker is
    spawned, with multiprocessing's command line, without the name)."""
    exporter = require_binary(local_monitor.PROCESS_EXPORTER, local_monitor.PROCESS_EXPORTER)
    name = f"rig-api-{uuid.uuid4().hex[:8]}"
    api = serve.start(
        json_redis.url,
        settings={"RIG_WORKERS": "2", "RIG_WORKER_CLASS": "gthread", "RIG_THREADS": "2"},
        log_path=tmp_path / "api.log",
        server=server,
        name=name,
    )
    groups = local_monitor.ProcessGroups(name, None, free_port())
    config = tmp_path / "process-exporter.yml"
    config.write_text(yaml.safe_dump(groups.config()))
    port = free_port()
    argv = [exporter, "-web.listen-address", f"127.0.0.1:{port}", "-config.path", str(config)]
    scraper = processes.spawn(argv, log_path=tmp_path / "process-exporter.log")
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        wait_until(
            lambda: http_ok(url), 30, "process-exporter", alive=lambda: scraper.poll() is None
        )
        # process-exporter counts on each scrape; its first scans may predate a worker.
        wait_until(lambda: (_api_processes(url) or 0) >= 3, 30, "3 processes in the API group")
        root = psutil.Process(api.process.pid)
        assert _api_processes(url) == 1 + len(root.children())
        # A worker that dies is replaced (a Granian one is spawned, with multiprocessing's
        # resource tracker beside it); the replacement is counted too.
        victim = server_workers(root.pid)[0]
        victim.kill()

        def replaced() -> bool:
            try:
                workers = server_workers(root.pid)
            except psutil.Error:  # the victim, not yet reaped: look again
                return False
            return len(workers) == 2 and victim not in workers

        wait_until(replaced, 30, "a replacement worker")
        assert _api_processes(url) == 1 + len(root.children())
    finally:
        processes.stop(scraper)
        api.stop()
