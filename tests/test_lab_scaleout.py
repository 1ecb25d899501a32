"""The scale-out topology end to end, on the shared lab's hosts regrouped by an inventory of its
own: HAProxy on `lb`, the API on `app` (Debian 13, named app1 there) and `api2` (Debian 12), a
Redis Cluster of 3 primaries on `api2` (one rig-redis@PORT unit each), Locust and Prometheus
where they were.

site.yml twice (changed=0 the second time) and once with --check --diff (no secret); a mixed
run through the balancer where each app host takes at least 30 % of the requests and every
shard holds keys and serves commands, with the report's balancer and shard sections; a shard
stopped during a 40 s Locust run answers 503 (never 500) for its own keys only, and the API
recovers by itself when it returns.

Runs after every other lab test (tests/conftest.py orders it last): they see the single-app
configuration of the same hosts. Marker `lab`.
"""

import csv
import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import redis as redis_py
import yaml

from rig.paths import REPO_ROOT
from tests.lab_support import SHARED_HOSTS, assert_nothing_changed, poll, recap, tail, timed

# The first test also waits for the module's first site.yml (hosts the other lab tests left
# in the single-app configuration, or fresh ones): more than the default 600 s per test.
pytestmark = [pytest.mark.lab, pytest.mark.timeout(1200)]

PORTS = (7000, 7001, 7002)
REDIS_HOST = "api2"
# Inventory names of the lab hosts: the lab's "app" is "app1" here, since a pattern that names
# a host (`hosts: app`) selects that host alone even when a group has the same name.
NAMES = {host: host for host in SHARED_HOSTS} | {"app": "app1"}
APP_HOSTS = ("app1", "api2")
SCENARIO = "mixed"
RUN_TIME_S = 15
OUTAGE_RUN_ID = "scaleout-outage"
OUTAGE_RUN_S = 40
OUTAGE_S = 6
PROBE_DOCS = 30


def scaleout_inventory(lab, directory: Path) -> Path:
    """The lab's hosts (addresses, user, key from `rig lab up`'s inventory) in the scale-out
    groups, beside the lab-in-a-box group_vars."""
    written = yaml.safe_load(lab.config.inventory_path.read_text())["all"]
    cluster = {
        "redis_cluster_primaries": len(PORTS),
        # The API's RIG_REDIS_URL, the reset and the seed start from the first node.
        "redis_port": PORTS[0],
    }
    groups = {
        "redis": {REDIS_HOST: {"redis_cluster_ports": list(PORTS)}},
        "app": dict.fromkeys(APP_HOSTS),
        "loadbalancer": {"lb": None},
        "locust_master": {"loadgen": None},
        "locust_workers": {"loadgen": None},
        "monitoring": {"monitor": None},
        "controller": {"monitor": None},
    }
    inventory = {
        "all": {
            "vars": {**written["vars"], **cluster},
            "hosts": {NAMES[host]: settings for host, settings in written["hosts"].items()},
            "children": {name: {"hosts": hosts} for name, hosts in groups.items()},
        }
    }
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "group_vars").symlink_to(REPO_ROOT / "inventory" / "lab-in-a-box" / "group_vars")
    (directory / "hosts.yml").write_text(yaml.safe_dump(inventory, sort_keys=False))
    return directory


class ScaleOut:
    def __init__(self, lab, inventory: Path):
        self.lab, self.inventory = lab, inventory

    def playbook(self, playbook: str = "site.yml", extra: dict | None = None, options=()):
        return self.lab.playbook(playbook, extra, options=options, inventory=self.inventory)

    @property
    def api(self) -> str:
        return f"http://{self.lab.data('lb')}:80"

    def cluster(self) -> redis_py.RedisCluster:
        return redis_py.RedisCluster(
            host=self.lab.data(REDIS_HOST), port=PORTS[0], password=self.lab.redis_password()
        )


@pytest.fixture(scope="module")
def scaleout(shared_lab, tmp_path_factory) -> ScaleOut:
    """The scale-out inventory after its first site.yml run (on hosts that other tests
    provisioned, or fresh ones when this module runs alone)."""
    inventory = scaleout_inventory(shared_lab, tmp_path_factory.mktemp("scaleout") / "inventory")
    topology = ScaleOut(shared_lab, inventory)
    result, seconds = topology.playbook()
    timed("scale-out: first site.yml", seconds)
    print(f"\nfirst site.yml run of the scale-out inventory: {seconds:.1f} s")
    assert result.returncode == 0, tail(result)
    hosts = recap(result.stdout)
    assert set(hosts) == set(NAMES.values()), result.stdout[-3000:]
    assert all(h["failed"] == 0 and h["unreachable"] == 0 for h in hosts.values())
    return topology


def http(method: str, url: str, body: dict | None = None, timeout: float = 10.0):
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data else {}
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_second_site_yml_run_changes_nothing(scaleout):
    result, seconds = scaleout.playbook()
    timed("scale-out: second site.yml", seconds)
    print(f"\nsecond site.yml run (scale-out): {seconds:.1f} s")
    assert_nothing_changed(result, NAMES.values())


def test_check_diff_reports_nothing_and_no_secret(scaleout):
    result, seconds = scaleout.playbook(options=("--check", "--diff", "-v"))
    timed("scale-out: site.yml --check --diff -v", seconds)
    print(f"\nsite.yml --check --diff -v (scale-out): {seconds:.1f} s")
    assert_nothing_changed(result, NAMES.values())
    assert scaleout.lab.redis_password() not in result.stdout + result.stderr


def test_the_cluster_has_three_primaries_on_the_data_network_with_the_json_module(scaleout):
    lab = scaleout.lab
    units = lab.ssh(REDIS_HOST, "systemctl is-active " + " ".join(f"rig-redis@{p}" for p in PORTS))
    assert units.stdout.split() == ["active"] * len(PORTS)
    listening = lab.ssh(REDIS_HOST, "ss -ltnH").stdout
    for port in PORTS:
        assert f"{lab.data(REDIS_HOST)}:{port}" in listening
        assert f"{lab.config.host(REDIS_HOST).address}:{port}" not in listening
    cluster = scaleout.cluster()
    try:
        # The nodes announce their data addresses; each serves a third of the slots.
        primaries = {(n.host, n.port) for n in cluster.get_primaries()}
        assert primaries == {(lab.data(REDIS_HOST), port) for port in PORTS}
        for port in PORTS:
            assert "ReJSON" in str(cluster.get_redis_connection(cluster.get_node(
                lab.data(REDIS_HOST), port)).execute_command("MODULE", "LIST"))  # fmt: skip
    finally:
        cluster.close()
    anonymous = redis_py.Redis(host=lab.data(REDIS_HOST), port=PORTS[0])
    with pytest.raises((redis_py.AuthenticationError, redis_py.ResponseError)):
        anonymous.get("rig:anything")
    anonymous.close()
    env = lab.ssh("app", "grep -E '^RIG_REDIS_(CLUSTER|URL)=' /etc/default/rig-api").stdout
    assert "RIG_REDIS_CLUSTER=1" in env
    assert f"@{lab.data(REDIS_HOST)}:{PORTS[0]}/" in env


@pytest.fixture(scope="module")
def reported_run(scaleout, tmp_path_factory) -> Path:
    """benchmark.yml's mixed run through the balancer, then report.yml on it."""
    results = tmp_path_factory.mktemp("scaleout-results")
    extra = {"benchmark_results_dir": str(results)}
    result, seconds = scaleout.playbook(
        "playbooks/benchmark.yml",
        {**extra, "benchmark_scenarios": [SCENARIO], "benchmark_run_time": f"{RUN_TIME_S}s"},
    )
    timed(f"scale-out: benchmark.yml ({SCENARIO} {RUN_TIME_S} s)", seconds)
    print(f"\nbenchmark.yml, {SCENARIO} {RUN_TIME_S} s through the balancer: {seconds:.1f} s")
    assert result.returncode == 0, tail(result)
    report, seconds = scaleout.playbook("playbooks/report.yml", extra)
    print(f"report.yml: {seconds:.1f} s")
    assert report.returncode == 0, tail(report)
    runs = [p for p in results.iterdir() if (p / "metrics.json").exists()]
    assert len(runs) == 1, list(results.iterdir())
    return runs[0]


def test_each_app_host_takes_its_share_and_every_shard_works(scaleout, reported_run):
    info = json.loads((reported_run / "run.json").read_text())
    assert info["target"] == scaleout.api
    tiers = json.loads((reported_run / "metrics.json").read_text())["tiers"]
    print(f"\ntiers of the {SCENARIO} run: {json.dumps(tiers, indent=1)}")
    backends = tiers["backends"]
    total = sum(b["requests_per_s"] for b in backends.values())
    assert set(backends) == set(APP_HOSTS)
    for host in APP_HOSTS:
        assert backends[host]["requests_per_s"] >= 0.3 * total > 0, backends
    (balancer,) = tiers["balancer"].values()
    assert balancer["cpu_percent"] > 0
    shards = tiers["shards"]
    assert set(shards) == {f"{REDIS_HOST}:{port}" for port in PORTS}
    for name, shard in shards.items():
        for figure in ("ops_per_s", "main_thread_cpu_percent", "used_memory_bytes", "keys"):
            assert shard.get(figure, 0) > 0, (name, figure, shard)
    summary = (reported_run / "summary.md").read_text()
    for name in (*APP_HOSTS, *shards):
        assert name in summary


def answered(scaleout: ScaleOut) -> int:
    """Responses HAProxy has passed back from the app hosts so far (its /metrics)."""
    url = f"http://{scaleout.lab.data('lb')}:8404/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    prefix = 'haproxy_server_http_responses_total{proxy="app"'
    return int(sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith(prefix)))  # fmt: skip


def locust_requests(lab, run_dir: str) -> int:
    """Requests Locust has made so far in a run (its history CSV's last Aggregated row)."""
    history = lab.ssh("loadgen", f"cat {run_dir}/locust_stats_history.csv 2>/dev/null").stdout
    rows = [r for r in csv.DictReader(history.splitlines()) if r["Name"] == "Aggregated"]
    return int(rows[-1]["Total Request Count"]) if rows else 0


def test_a_stopped_shard_gives_503_for_its_keys_only_and_the_api_recovers(scaleout, reported_run):
    lab, api = scaleout.lab, scaleout.api
    documents = []
    for i in range(PROBE_DOCS):
        status, created = http("POST", f"{api}/api/v1/add_json", {"probe": i})
        assert status == 201, created
        documents.append(created["id"])
    cluster = scaleout.cluster()
    try:
        owner = {doc: cluster.get_node_from_key(f"rig:json:{doc}").port for doc in documents}
    finally:
        cluster.close()
    stopped = PORTS[1]
    lost = {doc for doc, port in owner.items() if port == stopped}
    assert lost and len(lost) < len(documents), owner

    # A Locust run through the balancer while the shard is away (bounded: 40 s). The seed
    # documents are the benchmark's (still there), so the load starts at once.
    # benchmark.yml stopped the workers after its run; the master waits for them.
    workers = " ".join(f"locust-worker@{i}" for i in range(1, 5))
    assert lab.ssh("loadgen", f"systemctl start {workers}").returncode == 0
    locust: dict = {}
    run_dir = f"/var/lib/rig-locust/runs/{OUTAGE_RUN_ID}"
    command = (
        f"RIG_RUN_ID={OUTAGE_RUN_ID} rig-locust-run {SCENARIO} --run-time {OUTAGE_RUN_S}s "
        "--skip-seed --seed-count 1000"
    )
    before = answered(scaleout)
    runner = threading.Thread(
        target=lambda: locust.update(run=lab.ssh("loadgen", command, timeout=300))
    )
    runner.start()
    try:
        # HAProxy's counters, read from here: an SSH round trip takes seconds on a busy box.
        poll(lambda: answered(scaleout) > before + 100, 60, "Locust's load phase", 0.2)
        assert lab.ssh(REDIS_HOST, f"systemctl stop rig-redis@{stopped}").returncode == 0
        stopped_at = time.monotonic()
        statuses = {doc: http("GET", f"{api}/api/v1/json/{doc}") for doc in documents}
        # Away for a few seconds of load at least, so Locust meets the lost shard too.
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - stopped_at)))
    finally:
        started = time.monotonic()
        assert lab.ssh(REDIS_HOST, f"systemctl start rig-redis@{stopped}").returncode == 0
    for doc, (status, body) in statuses.items():
        if doc in lost:
            assert status == 503 and body["error"]["code"] == "redis_unavailable", (doc, body)
        else:
            assert status == 200 and body == {"probe": documents.index(doc)}, (doc, body)

    def all_back():
        answers = [http("GET", f"{api}/api/v1/json/{doc}")[0] for doc in sorted(lost)]
        return all(status == 200 for status in answers)

    poll(all_back, 60, "the stopped shard's documents answering again")
    print(
        f"\nshard {stopped} back: its documents answer 200 after {time.monotonic() - started:.1f} s"
    )
    runner.join(timeout=300)
    run = locust["run"]
    # Locust exits 1 when some requests failed: here the 503s of the stopped shard.
    assert run.returncode in (0, 1), (run.stdout + run.stderr)[-4000:]
    assert locust_requests(lab, run_dir) > 0
    failures_csv = lab.ssh("loadgen", f"cat {run_dir}/locust_failures.csv").stdout
    errors = {
        row["Error"]: int(row["Occurrences"]) for row in csv.DictReader(failures_csv.splitlines())
    }
    print(f"Locust failures during the outage: {errors}")
    assert errors and not [e for e in errors if "503" not in e], errors
    assert not [e for e in errors if "HTTP 500" in e], errors
