"""Monitoring end to end on the shared mixed lab (app, loadgen, monitor; see
tests/lab_support.py): Prometheus targets on the data network, benchmark.yml, the report role,
every dashboard query, the nightly timer, its failure notification, and a report written while
Prometheus is down.

Marker `lab`; needs root, systemd-container and debootstrap. The lab is the session's one
(tests/conftest.py), provisioned by site.yml once; test_lab_e2e.py checks that run. cAdvisor
and Grafana are switched off in the lab-in-a-box inventory (their release binary and apt
repository cannot be reached from this bench); the dashboards are checked by running every
panel's query against the lab's Prometheus instead.
"""

import csv
import itertools
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from rig.paths import REPO_ROOT
from tests.lab_support import SHARED_HOSTS, poll, tail
from tests.test_dashboards_static import dashboard_queries

pytestmark = pytest.mark.lab

HOSTS = SHARED_HOSTS
SCENARIO = "post_15k"
RUN_TIME_S = 20
NIGHTLY_RESULTS = "/var/lib/rig-nightly/results"
LAB_GROUP_VARS = REPO_ROOT / "inventory" / "lab-in-a-box" / "group_vars" / "monitoring.yml"


def prom_api(base: str, path: str, **params) -> dict:
    url = f"{base}/api/v1/{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=10) as response:
        body = json.load(response)
    assert body["status"] == "success", body
    return body["data"]


def instant(base: str, expr: str, at: float) -> list[dict]:
    return prom_api(base, "query", query=expr, time=at)["result"]


def counter_increase(base: str, selector: str, start: float, end: float) -> float:
    """How much one counter grew from `start` to `end`, from its raw samples.

    max - min would be wrong when the counter restarted inside the window (an earlier test
    reboots the app host, so Redis' command counters start again from nothing), and
    increase() extrapolates. A series that first appears inside the window counted from 0.
    """
    seconds = int(end - start) + 1
    result = instant(base, f"{selector}[{seconds}s]", end)
    assert len(result) == 1, (selector, result)
    samples = [(float(t), float(v)) for t, v in result[0]["values"]]
    grown = samples[0][1] if samples[0][0] > start + 10 else 0.0
    for (_, before), (_, after) in itertools.pairwise(samples):
        grown += after - before if after >= before else after
    return grown


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def lab(provisioned_lab):
    return provisioned_lab


@pytest.fixture(scope="module")
def run(lab) -> Path:
    """The run directory of benchmark.yml's 20-second scenario (run once for the module)."""
    result, seconds = lab.playbook(
        "playbooks/benchmark.yml",
        {
            "benchmark_scenarios": [SCENARIO],
            "benchmark_run_time": f"{RUN_TIME_S}s",
            "benchmark_results_dir": str(lab.results),
            # Far under the lab's 256 MB maxmemory: on Debian 13's Redis 8 the default pool of
            # 5,000 (JSON and string) outgrows it, and a full Redis refuses writes.
            "benchmark_master_extra_args": ["--doc-pool", "1000"],
        },
    )
    print(f"\nbenchmark.yml around a {RUN_TIME_S} s scenario: {seconds:.1f} s wall time")
    assert result.returncode == 0, tail(result)
    runs = sorted(p for p in lab.results.iterdir() if p.is_dir())
    assert len(runs) == 1, runs
    return runs[0]


@pytest.fixture(scope="module")
def reported(lab, run) -> Path:
    result, seconds = lab.playbook(
        "playbooks/report.yml", {"benchmark_results_dir": str(lab.results)}
    )
    print(f"\nreport role (playbooks/report.yml, one run): {seconds:.1f} s wall time")
    assert result.returncode == 0, tail(result)
    return run


def test_cadvisor_and_grafana_are_switched_off_in_lab_in_a_box():
    """Said out loud: these two roles are not exercised here, only linted."""
    settings = yaml.safe_load(LAB_GROUP_VARS.read_text())
    assert settings["monitoring_cadvisor_enabled"] is False
    assert settings["monitoring_grafana_enabled"] is False


def test_prometheus_config_is_generated_from_the_inventory(lab):
    config = yaml.safe_load(lab.ssh("monitor", "cat /etc/prometheus/prometheus.yml").stdout)
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"prometheus", "node", "process", "redis", "app", "locust"}
    node_targets = {
        c["labels"]["instance"]: c["targets"][0] for c in jobs["node"]["static_configs"]
    }
    # Scrapes travel on the data network.
    assert node_targets == {h: f"{lab.data(h)}:9100" for h in HOSTS}
    check = lab.ssh("monitor", "promtool check config /etc/prometheus/prometheus.yml")
    assert check.returncode == 0, check.stdout + check.stderr


def test_every_prometheus_target_is_up(lab):
    """All but Locust's, which only exists while a run is going (see the benchmark test)."""

    def all_up():
        targets = prom_api(lab.prometheus, "targets")["activeTargets"]
        # Every exporter is scraped on the data network (Prometheus scrapes itself locally).
        assert all(lab.config.host(t["labels"]["instance"]).data_address in t["scrapeUrl"]
                   for t in targets if t["labels"]["job"] != "prometheus"), targets  # fmt: skip
        health = {(t["labels"]["job"], t["labels"]["instance"]): t["health"] for t in targets}
        waiting = {k: v for k, v in health.items() if k[0] != "locust" and v != "up"}
        return health if health and not waiting else None

    health = poll(all_up, 60, "every target up")
    expected = {("node", h) for h in HOSTS} | {("process", h) for h in HOSTS}
    expected |= {("redis", "app"), ("app", "app"), ("prometheus", "monitor"), ("locust", "loadgen")}
    assert set(health) == expected


def test_benchmark_yml_runs_a_20_second_scenario(lab, run):
    info = json.loads((run / "run.json").read_text())
    assert info["scenario"] == SCENARIO
    assert set(info["hosts"]) == set(HOSTS)
    assert info["hosts"]["app"]["roles"] == ["redis", "app"]
    assert RUN_TIME_S - 2 <= info["end"] - info["start"] <= RUN_TIME_S + 4, info
    # The app host runs Debian 13 (Redis 8) in the shared lab, Debian 12 has Redis 7.
    assert re.fullmatch(r"redis [78]\.\d+\.\d+", info["versions"]["redis"]), info["versions"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", info["versions"]["redisjson"]), info["versions"]
    assert info["versions"]["locust"] == "2.47.0"
    stats = {row["Name"]: row for row in csv_rows(run / "locust_stats.csv")}
    assert int(stats["Aggregated"]["Request Count"]) > 500
    # The Locust master was a live target while it ran.
    up = instant(lab.prometheus, 'max_over_time(up{job="locust"}[30s])', info["end"])
    assert up and float(up[0]["value"][1]) == 1.0
    # Nothing of the run is left on the master, and the workers are stopped.
    assert lab.ssh("loadgen", f"test -e /var/lib/rig-locust/runs/{run.name}").returncode != 0
    assert "active" not in lab.ssh("loadgen", "systemctl is-active locust-worker@1").stdout.split()


def test_report_has_host_redis_and_locust_figures_agreeing_with_locust_csv(lab, reported):
    run = reported
    info = json.loads((run / "run.json").read_text())
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["source"] == "prometheus"
    series = {(s["key"], s["host"]): s for s in metrics["series"] if s["points"]}
    for host in HOSTS:
        for key in ("cpu_percent", "mem_used_bytes", "net_in_bytes_per_s", "net_out_bytes_per_s"):
            assert (key, host) in series, (key, host, sorted(series))
    for key in ("redis_ops_per_s", "redis_used_memory_bytes", "api_cpu_percent"):
        assert (key, "app") in series, key
    assert ("locust_cpu_percent", "loadgen") in series
    summary = (run / "summary.md").read_text()
    for host in HOSTS:
        assert re.search(rf"^\| {host} \|", summary, re.M), host

    stats = {row["Name"]: row for row in csv_rows(run / "locust_stats.csv")}
    total = int(stats["Aggregated"]["Request Count"])
    add_json = int(stats["/api/v1/add_json"]["Request Count"])
    assert f"| Aggregated | {total} |" in summary
    # Locust's exporter, as Prometheus last scraped it (the master lingers a scrape interval
    # after the run for that), counted what the CSV counts. Only this run's window: the lab
    # is shared, and earlier runs' masters exported their own totals under the same labels.
    run_window = f"{int(info['finished'] - info['launched'] + 5)}s"
    scraped = instant(
        lab.prometheus,
        f'sum(max_over_time(locust_requests_total{{job="locust"}}[{run_window}]))',
        info["finished"] + 5,
    )
    assert scraped, "no locust_requests_total in Prometheus"
    assert abs(float(scraped[0]["value"][1]) - total) <= 0.01 * total, (scraped, total)
    # Redis ran one JSON.SET per add_json request (the keys were reset, nothing was seeded).
    json_sets = counter_increase(
        lab.prometheus,
        'redis_commands_total{job="redis",cmd="json.set"}',
        info["launched"] - 20,
        info["finished"] + 10,
    )
    failed = int(stats["Aggregated"]["Failure Count"])
    assert add_json <= json_sets <= add_json * 1.02 + 5, (json_sets, failed)
    index = (lab.results / "index.md").read_text()
    assert run.name in index


def test_every_dashboard_query_returns_data(lab, reported):
    info = json.loads((reported / "run.json").read_text())
    empty = []
    # $__rate_interval as Grafana sets it for a 5 s scrape interval: 4 scrapes.
    queries = dashboard_queries(rate_interval="20s")
    for dashboard, title, expr in queries:
        result = prom_api(
            lab.prometheus, "query_range", query=expr, start=info["start"], end=info["end"], step=5
        )["result"]
        if not any(s["values"] for s in result):
            empty.append(f"{dashboard} / {title}: {expr}")
    print(f"\n{len(queries)} dashboard queries run against the lab's Prometheus")
    assert not empty, "\n".join(empty)


def test_nightly_timer_is_installed_and_its_service_runs_once(lab, reported):
    result, seconds = lab.playbook(
        "playbooks/nightly.yml", {"nightly_scenarios": [SCENARIO], "nightly_run_time": "10s"}
    )
    print(f"\nnightly.yml: {seconds:.1f} s")
    assert result.returncode == 0, tail(result)
    timer = lab.ssh(
        "monitor", "systemctl is-enabled rig-nightly.timer; systemctl is-active rig-nightly.timer"
    )
    assert timer.stdout.split() == ["enabled", "active"], timer.stdout
    assert "rig-nightly.timer" in lab.ssh("monitor", "systemctl list-timers --all").stdout

    started = time.monotonic()
    start = lab.ssh("monitor", "systemctl start rig-nightly.service", timeout=600)
    print(f"rig-nightly.service, one 10 s scenario: {time.monotonic() - started:.1f} s")
    journal = lab.ssh("monitor", "journalctl -u rig-nightly.service --no-pager -o cat").stdout
    assert start.returncode == 0, journal[-6000:]
    show = lab.ssh("monitor", "systemctl show rig-nightly.service -p Result -p ExecMainStatus")
    assert show.stdout.split() == ["Result=success", "ExecMainStatus=0"], show.stdout
    assert "rig-nightly: benchmark exit 0, report exit 0" in journal
    listing = lab.ssh("monitor", f"ls {NIGHTLY_RESULTS}/*/summary.md {NIGHTLY_RESULTS}/index.md")
    assert listing.returncode == 0, listing.stdout + listing.stderr
    assert re.search(rf"/2\d+T\d+Z-{SCENARIO}/summary\.md", listing.stdout), listing.stdout


def test_nightly_never_runs_two_benchmarks_at_once(lab, reported):
    held = lab.ssh(
        "monitor",
        "flock /opt/rig/nightly/benchmark.lock /usr/local/bin/rig-nightly; echo exit=$?",
        timeout=60,
    )
    assert "exit=75" in held.stdout, held.stdout + held.stderr
    assert "another benchmark holds" in held.stdout + held.stderr


def test_report_without_prometheus_still_writes_and_names_what_is_missing(lab, reported):
    run = reported
    assert lab.ssh("monitor", "systemctl stop prometheus").returncode == 0
    try:
        result, _seconds = lab.playbook(
            "playbooks/report.yml",
            {"benchmark_results_dir": str(lab.results), "report_run_ids": [run.name]},
        )
        assert result.returncode == 0, tail(result)
        summary = (run / "summary.md").read_text()
        assert "host and service figures" in summary, summary
        assert lab.prometheus in summary, summary
        metrics = json.loads((run / "metrics.json").read_text())
        assert metrics["series"] == []
        assert metrics["missing"], metrics
        # The Locust figures come from the CSV and are still there.
        total = {r["Name"]: r for r in csv_rows(run / "locust_stats.csv")}["Aggregated"]
        assert f"| Aggregated | {total['Request Count']} |" in summary
    finally:
        assert lab.ssh("monitor", "systemctl start prometheus").returncode == 0


def test_nightly_failure_runs_the_notification_command(lab, reported):
    notified = "/opt/rig/nightly/notified"
    command = f'printf "%s\\n%s" "$RIG_NIGHTLY_EVENT" "$RIG_NIGHTLY_DETAIL" > {notified}'
    result, _seconds = lab.playbook(
        "playbooks/nightly.yml",
        {
            "nightly_scenarios": [SCENARIO],
            "nightly_run_time": "10s",
            "nightly_notify_command": command,
        },
    )
    assert result.returncode == 0, tail(result)
    lab.ssh("monitor", f"rm -f {notified}")
    # The scenario fails: the benchmark cannot reset the keys of a Redis that is down.
    assert lab.ssh("app", "systemctl stop redis-server").returncode == 0
    try:
        start = lab.ssh("monitor", "systemctl start rig-nightly.service", timeout=600)
        assert start.returncode != 0
        poll(
            lambda: lab.ssh("monitor", f"test -s {notified}").returncode == 0,
            60,
            "the notification command",
        )
    finally:
        assert lab.ssh("app", "systemctl start redis-server").returncode == 0
    event, _, detail = lab.ssh("monitor", f"cat {notified}").stdout.partition("\n")
    assert event == "failure"
    assert "benchmark" in detail or "PLAY" in detail, detail
    show = lab.ssh("monitor", "systemctl show rig-nightly.service -p Result").stdout.strip()
    assert show == "Result=exit-code"
