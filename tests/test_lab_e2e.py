"""End to end on the shared mixed lab (app host on Debian 13, loadgen and monitor on Debian 12),
reached as the sudo user, with a management and a data network: site.yml on fresh hosts, a
second run with changed=0, --check --diff without change or secret, the load and the scrapes on
the data network, a benchmark that could not run failing the play, Redis memory bounded by the
document pool, a reboot of the app host; `rig lab down` leaving nothing behind.

Marker `lab` (skip locally with -m "not lab"); needs root, systemd-container and debootstrap.
The lab is a session fixture (tests/conftest.py): test_lab_monitoring.py uses the same one.
"""

import json
import re
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from rig.lab.config import LabConfig
from rig.paths import REPO_ROOT
from tests.lab_support import (
    BIN,
    SHARED_HOSTS,
    assert_nothing_changed,
    lab_name,
    poll,
    recap,
    running_lab,
    tail,
    timed,
)

pytestmark = pytest.mark.lab

SCENARIO = "mixed"
RUN_ID = "e2e-15s"
MEMORY_RUN_ID = "e2e-memory"
# The lab's Redis bound (inventory/lab-in-a-box/group_vars/all.yml) and the pool the memory
# test writes into: 1000 ids of each kind, about 40 MB, far below the bound.
MAXMEMORY = 256 * 1024 * 1024
DOC_POOL = 1000
DOC_BYTES = 15_000


def http_json(url: str, data: dict | None = None, timeout: float = 5.0):
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"} if body else {}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, json.loads(response.read() or b"null")


def url(lab, host: str, path: str) -> str:
    return f"http://{lab.data(host)}:8000{path}"


def counters(lab, host: str) -> dict[str, int]:
    """Bytes received plus sent on each of the host's interfaces (eth0 management, eth1 data).

    From /proc/net/dev, which belongs to the host's network namespace: a trixie container's
    /sys/class/net lists the lab machine's own interfaces instead."""
    run = lab.ssh(host, "cat /proc/net/dev")
    assert run.returncode == 0, (host, run.stderr)
    totals = {}
    for line in run.stdout.splitlines():
        name, sep, fields = line.partition(":")
        if sep and name.strip() in ("eth0", "eth1"):
            values = fields.split()
            totals[name.strip()] = int(values[0]) + int(values[8])
    assert set(totals) == {"eth0", "eth1"}, (host, run.stdout)
    return totals


def redis_cli(lab, command: str) -> str:
    auth = f"REDISCLI_AUTH={lab.redis_password()}"
    run = lab.ssh("app", f"{auth} redis-cli --no-auth-warning {command}")
    assert run.returncode == 0, run.stderr
    return run.stdout


def locust_totals(lab, run_id: str) -> tuple[int, int]:
    """Requests and failures of a run, from Locust's per-endpoint JSON statistics."""
    stats = lab.ssh("loadgen", f"cat /var/lib/rig-locust/runs/{run_id}/locust_stats.json")
    entries = json.loads(stats.stdout)
    return sum(e["num_requests"] for e in entries), sum(e["num_failures"] for e in entries)


def test_lab_up_writes_an_inventory_for_the_sudo_user_and_the_data_network(shared_lab):
    lab = shared_lab
    text = lab.config.inventory_path.read_text()
    for group in ("redis", "app", "locust_master", "locust_workers", "monitoring"):
        assert f"  {group}:" in text
    assert "ansible_user: rig\n" in text
    assert f"rig_data_address: {lab.data('app')}\n" in text
    status = lab.rig("status")
    assert status.returncode == 0
    for host, release in (("app", "trixie"), ("loadgen", "bookworm"), ("monitor", "bookworm")):
        row = rf"^{host}\s+{lab.config.host(host).address}\s+{lab.data(host)}\s+{release}\s+running"
        assert re.search(row, status.stdout, re.MULTILINE), status.stdout


def test_hosts_run_the_debian_release_they_were_given(shared_lab):
    lab = shared_lab
    for host, codename in (("app", "trixie"), ("loadgen", "bookworm")):
        release = lab.ssh(host, ". /etc/os-release; echo $VERSION_CODENAME").stdout.strip()
        assert release == codename


def test_ansible_connects_as_the_unprivileged_user(shared_lab):
    lab = shared_lab
    argv = [str(BIN / "ansible"), "all", "-i", str(lab.config.inventory_dir), "-o"]
    who = subprocess.run([*argv, "-m", "ansible.builtin.command", "-a", "id -un"],
                         capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)  # fmt: skip
    assert who.stdout.count("| CHANGED | rc=0 | (stdout) rig") == len(SHARED_HOSTS), who.stdout
    root = subprocess.run([*argv, "-b", "-m", "ansible.builtin.command", "-a", "id -un"],
                          capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)  # fmt: skip
    assert root.stdout.count("(stdout) root") == len(SHARED_HOSTS), root.stdout


def test_site_yml_provisions_fresh_hosts(provisioned_lab):
    result, seconds = provisioned_lab.first_site
    timed("first site.yml run", seconds)
    print(f"\nfirst site.yml run (mixed lab, sudo user): {seconds:.1f} s")
    assert result.returncode == 0, tail(result)
    hosts = recap(result.stdout)
    assert set(hosts) == set(SHARED_HOSTS), result.stdout[-3000:]
    assert all(h["failed"] == 0 and h["unreachable"] == 0 for h in hosts.values())
    assert all(h["changed"] > 0 for h in hosts.values()), "fresh hosts must have been changed"
    assert "prometheus : Ensure the scrape configuration" in result.stdout
    # site.yml returned only once Prometheus had every target and the workers stayed up.
    assert "Wait until prometheus has loaded every target" in result.stdout
    assert "Wait until every worker is running and stays up" in result.stdout


def test_second_site_yml_run_changes_nothing(provisioned_lab):
    result, seconds = provisioned_lab.playbook()
    timed("second site.yml run", seconds)
    print(f"\nsecond site.yml run: {seconds:.1f} s")
    assert_nothing_changed(result, SHARED_HOSTS)


def test_check_diff_on_the_converged_lab_reports_nothing_and_no_secret(provisioned_lab):
    lab = provisioned_lab
    result, seconds = lab.playbook(options=("--check", "--diff", "-v"))
    timed("site.yml --check --diff -v", seconds)
    print(f"\nsite.yml --check --diff -v: {seconds:.1f} s")
    assert_nothing_changed(result, SHARED_HOSTS)
    output = result.stdout + result.stderr
    assert lab.redis_password() not in output


def test_redis_the_api_locust_and_the_scrapes_use_the_data_network(provisioned_lab):
    lab = provisioned_lab
    listening = lab.ssh("app", "ss -ltnH 'sport = :6379'").stdout
    assert f"{lab.data('app')}:6379" in listening
    assert f"{lab.config.host('app').address}:6379" not in listening
    redis_url = lab.ssh("app", f"grep -c '@{lab.data('app')}:6379/' /etc/default/rig-api")
    assert redis_url.stdout.strip() == "1"
    worker_unit = lab.ssh("loadgen", "systemctl cat locust-worker@1").stdout
    assert f"--master-host {lab.data('loadgen')}" in worker_unit
    config = yaml.safe_load(lab.ssh("monitor", "cat /etc/prometheus/prometheus.yml").stdout)
    targets = [
        target.rsplit(":", 1)[0]
        for job in config["scrape_configs"]
        for static in job.get("static_configs", [])
        for target in static["targets"]
    ]
    data = {lab.data(host) for host in SHARED_HOSTS} | {"127.0.0.1", "localhost"}
    assert targets and set(targets) <= data, targets


def test_loadgen_master_runs_a_15s_scenario_on_the_data_network(provisioned_lab):
    lab = provisioned_lab
    before = counters(lab, "app")
    run = lab.ssh(
        "loadgen", f"RIG_RUN_ID={RUN_ID} rig-locust-run {SCENARIO} --run-time 15s", timeout=300
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    assert re.search(r"to 4 ready workers", output), output[-6000:]
    after = counters(lab, "app")
    requests, failures = locust_totals(lab, RUN_ID)
    data_bytes, management_bytes = (after[i] - before[i] for i in ("eth1", "eth0"))
    print(
        f"\nLocust {SCENARIO}, 15 s, 4 workers: {requests} requests, {failures} failures; app "
        f"host traffic: data {data_bytes / 1e6:.1f} MB, management {management_bytes / 1e6:.2f} MB"
    )
    assert requests > 0
    assert failures == 0
    # The load crossed the data network; the management one only carried SSH meanwhile.
    assert data_bytes > 10 * management_bytes
    assert data_bytes > requests * 100


def test_redis_memory_stays_under_its_bound_with_the_document_pool(provisioned_lab):
    lab = provisioned_lab
    reset = subprocess.run(
        [str(BIN / "rig"), "reset", "--prefix", "rig:", "--redis-url",
         f"redis://:{lab.redis_password()}@{lab.data('app')}:6379/0"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert reset.returncode == 0, reset.stderr
    assert f"maxmemory\n{MAXMEMORY}" in redis_cli(lab, "CONFIG GET maxmemory")
    redis_cli(lab, "CONFIG RESETSTAT")  # the peak below is this run's
    run = lab.ssh(
        "loadgen",
        f"RIG_RUN_ID={MEMORY_RUN_ID} rig-locust-run post_15k --run-time 60s --doc-pool {DOC_POOL}",
        timeout=400,
    )
    assert run.returncode == 0, (run.stdout + run.stderr)[-6000:]
    requests, failures = locust_totals(lab, MEMORY_RUN_ID)
    info = dict(
        line.split(":", 1) for line in redis_cli(lab, "INFO memory").splitlines() if ":" in line
    )
    peak = int(info["used_memory_peak"])
    keys = int(redis_cli(lab, "DBSIZE").strip())
    written = requests * DOC_BYTES
    print(
        f"\npost_15k 60 s, --doc-pool {DOC_POOL}: {requests} writes ({written / 2**20:.0f} MB), "
        f"{failures} failures; Redis peak {peak / 2**20:.0f} MB of {MAXMEMORY / 2**20:.0f} MB"
    )
    # Without the pool these writes would not have fitted under the bound...
    assert written > MAXMEMORY, f"the run wrote only {written / 2**20:.0f} MB: lab too slow"
    # ...with it, Redis stayed well under it (noeviction: a full Redis fails writes).
    assert failures == 0
    assert peak < MAXMEMORY
    assert keys <= 2 * DOC_POOL + 10


def test_benchmark_fails_the_play_when_the_workers_cannot_reach_the_master(
    provisioned_lab, tmp_path
):
    lab = provisioned_lab
    netns = f"/run/netns/{lab.config.netns(lab.config.host('loadgen'))}"
    block = ["nsenter", f"--net={netns}", "iptables", "-w"]
    rule = ["INPUT", "-p", "tcp", "--dport", "5557", "-j", "REJECT"]
    subprocess.run([*block, "-I", *rule], check=True)
    try:
        result, seconds = lab.playbook(
            "playbooks/benchmark.yml",
            {
                "benchmark_scenarios": ["get_doc"],
                "benchmark_run_time": "5s",
                "benchmark_results_dir": str(tmp_path),
                "benchmark_master_extra_args": ["--expect-workers-max-wait", "5"],
            },
        )
    finally:
        subprocess.run([*block, "-D", *rule], check=True)
    print(f"\nbenchmark.yml without reachable workers: failed in {seconds:.1f} s")
    assert result.returncode != 0
    assert "Locust could not run" in result.stdout, tail(result)
    assert "0 requests" in result.stdout
    assert not any(tmp_path.glob("*/run.json")), "a run that made no request got a run.json"


def test_app_host_reboot_brings_back_redis_data_and_the_api(provisioned_lab):
    lab = provisioned_lab
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
    # No persistence forked during the runs: the dataset was saved when Redis stopped.
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
    bridges = (f" {config.bridge}:", f" {config.data_bridge}:")
    veths = (f"ve-{config.name}-", f"vd-{config.name}-")
    return {
        "bridge": [line for line in links.splitlines() if any(b in line for b in bridges)],
        "veth": [line for line in links.splitlines() if any(v in line for v in veths)],
        "netns": [line for line in netns.splitlines() if line.startswith(f"{config.name}-")],
        "mounts": [line for line in mounts.splitlines() if str(config.state_dir) in line],
        "iptables": [
            line for rules in chains.values() for line in rules.splitlines() if config.chain in line
        ],
        "processes": processes,
    }


def test_lab_down_leaves_nothing_behind():
    """A small lab of its own (from the cached image), so the shared one stays up meanwhile."""
    with running_lab(lab_name("dwn"), "app,loadgen") as small:
        before = _host_traces(small.config)
        assert len(before["bridge"]) == 2 and len(before["veth"]) == 4
        assert before["netns"] and before["mounts"] and before["iptables"]
        down = small.rig("down")
        assert down.returncode == 0, down.stdout + down.stderr
        after = _host_traces(small.config)
        assert after == {key: [] for key in after}
        assert not small.config.state_dir.exists()
        assert not small.config.inventory_path.exists()
