"""End to end on lab-in-a-box: `rig lab up` -> site.yml, twice -> a Locust run from the loadgen
host -> a reboot of the app host -> `rig lab down` leaves nothing behind.

Marker `lab` (skip locally with -m "not lab"); needs root, systemd-container and debootstrap.
The lab has a name of its own (one per checkout), so a developer's default lab can stay up
meanwhile.
"""

import json
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from rig.lab.config import LabConfig
from rig.paths import REPO_ROOT
from tests.lab_support import changed_tasks, lab_name, poll, recap, running_lab

pytestmark = pytest.mark.lab

LAB_NAME = lab_name("e2e")
HOSTS = "app,loadgen"
SCENARIO = "mixed"
RUN_ID = "e2e-15s"

# What the app and locust roles deploy; a frozen copy keeps both site.yml runs on the same code
# while the working tree changes underneath.
SOURCE_PATHS = ("pyproject.toml", "app", "loadgen", "rundir")


def http_json(url: str, data: dict | None = None, timeout: float = 5.0):
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"} if body else {}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, json.loads(response.read() or b"null")


def snapshot(destination: Path) -> Path:
    for name in SOURCE_PATHS:
        source = REPO_ROOT / name
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(source, destination / name, ignore=ignore)
        else:
            shutil.copy2(source, destination / name)
    return destination


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    source = snapshot(tmp_path_factory.mktemp("checkout"))
    frozen_code = {"app_source_dir": str(source), "locust_source_dir": str(source)}
    with running_lab(LAB_NAME, HOSTS, extra_vars=frozen_code) as the_lab:
        yield the_lab


def url(lab, host: str, path: str) -> str:
    return f"http://{lab.config.host(host).address}:8000{path}"


def test_lab_up_writes_an_inventory_with_the_groups(lab):
    text = lab.config.inventory_path.read_text()
    for group in ("redis", "app", "locust_master", "locust_workers"):
        assert f"  {group}:" in text
    status = lab.rig("status")
    assert status.returncode == 0
    assert re.search(r"^app\s+\S+\s+running", status.stdout, re.MULTILINE), status.stdout
    assert re.search(r"^loadgen\s+\S+\s+running", status.stdout, re.MULTILINE), status.stdout


def test_site_yml_provisions_fresh_hosts(lab):
    result, seconds = lab.playbook()
    print(f"\nfirst site.yml run: {seconds:.1f} s")
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-4000:]
    hosts = recap(result.stdout)
    assert set(hosts) == {"app", "loadgen"}, result.stdout[-3000:]
    assert all(h["failed"] == 0 and h["unreachable"] == 0 for h in hosts.values())
    assert all(h["changed"] > 0 for h in hosts.values()), "fresh hosts must have been changed"


def test_second_site_yml_run_changes_nothing(lab):
    result, seconds = lab.playbook()
    print(f"\nsecond site.yml run: {seconds:.1f} s")
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-4000:]
    hosts = recap(result.stdout)
    changed = {name: h["changed"] for name, h in hosts.items()}
    assert changed == {"app": 0, "loadgen": 0}, changed_tasks(result.stdout)


def test_loadgen_master_runs_a_15s_scenario_with_4_workers_and_no_failures(lab):
    run = lab.ssh(
        "loadgen", f"RIG_RUN_ID={RUN_ID} rig-locust-run {SCENARIO} --run-time 15s", timeout=300
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    assert re.search(r"to 4 ready workers", output), output[-6000:]
    target = lab.config.host("app").address
    assert (
        f"--host http://{target}:8000" in lab.ssh("loadgen", "cat $(which rig-locust-run)").stdout
    )
    stats = lab.ssh("loadgen", f"cat /var/lib/rig-locust/runs/{RUN_ID}/locust_stats.json")
    entries = json.loads(stats.stdout)
    requests = sum(e["num_requests"] for e in entries)
    failures = sum(e["num_failures"] for e in entries)
    print(f"\nLocust {SCENARIO}, 15 s, 4 workers: {requests} requests, {failures} failures")
    assert requests > 0
    assert failures == 0


def test_app_host_reboot_brings_back_redis_data_and_the_api(lab):
    document = {"e2e": {"reboot": True, "marker": f"{time.time():.6f}"}}
    status, created = http_json(url(lab, "app", "/api/v1/add_json"), document)
    assert status == 201
    doc_url = url(lab, "app", f"/api/v1/json/{created['id']}")

    lab.ssh("app", "touch /run/rig-e2e-before-reboot && systemctl reboot", timeout=30)
    started = time.monotonic()
    poll(
        lambda: lab.ssh("app", "test ! -e /run/rig-e2e-before-reboot", timeout=15).returncode == 0,
        120,
        "the app host's reboot",
    )
    poll(lambda: http_json(url(lab, "app", "/readyz"))[0] == 200, 120, "the API's /readyz")
    print(f"\napp host reboot until /readyz: {time.monotonic() - started:.1f} s")
    status, body = http_json(doc_url)
    assert status == 200
    assert body == document
    units = lab.ssh("app", "systemctl is-active redis-server rig-api")
    assert units.stdout.split() == ["active", "active"]


def _host_traces(config: LabConfig) -> dict[str, list[str]]:
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    mounts = Path("/proc/self/mounts").read_text()
    chains = {
        table: subprocess.run(
            ["iptables", "-t", table, "-S"], capture_output=True, text=True
        ).stdout
        for table in ("filter", "nat")
    }
    processes = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(config.state_dir) in text:
            processes.append(text)
    return {
        "bridge": [line for line in links.splitlines() if f" {config.bridge}:" in line],
        "veth": [line for line in links.splitlines() if f"ve-{config.name}-" in line],
        "netns": [line for line in netns.splitlines() if line.startswith(f"{config.name}-")],
        "mounts": [line for line in mounts.splitlines() if str(config.state_dir) in line],
        "iptables": [
            line for rules in chains.values() for line in rules.splitlines() if config.chain in line
        ],
        "processes": processes,
    }


def test_lab_down_leaves_nothing_behind(lab):
    before = _host_traces(lab.config)
    assert before["bridge"] and before["netns"] and before["mounts"] and before["iptables"]
    down = lab.rig("down")
    assert down.returncode == 0, down.stdout + down.stderr
    after = _host_traces(lab.config)
    assert after == {key: [] for key in after}
    assert not lab.config.state_dir.exists()
    assert not lab.config.inventory_path.exists()
