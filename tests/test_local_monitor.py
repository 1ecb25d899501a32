"""rig local's Prometheus and exporters: every target up, process groups see only this run's."""

import subprocess
import sys
import time

import pytest
import requests

from rig.local import monitor as local_monitor
from rig.ports import free_port, port_is_open
from tests.support import require_binary

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
