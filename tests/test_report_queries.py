"""PromQL the report runs: which series per role, label matchers, and valid syntax (promtool)."""

import subprocess
from pathlib import Path

import yaml

from reports import queries
from tests.support import require_binary

LAB_HOSTS = {
    "app1": {"roles": ["app"]},
    "redis1": {"roles": ["redis"]},
    "gen1": {"roles": ["locust_master", "locust_worker"]},
    "box": {"roles": ["app", "redis", "locust"], "instances": {"node": "10.0.0.9:9100"}},
    "plain": {"roles": [], "network_devices": "lo", "network_exclude": ""},
}


def _keys(host: str) -> set[str]:
    return {q.spec.key for q in queries.plan(LAB_HOSTS, 15, 15) if q.host == host}


def test_every_host_gets_host_figures_and_its_roles_services():
    host_keys = {spec.key for spec in queries.HOST_SPECS}
    assert _keys("plain") == host_keys
    connections = {spec.key for spec in queries.API_CONNECTION_SPECS}
    assert _keys("app1") == host_keys | {"api_cpu_percent", "api_rss_bytes"} | connections
    assert {"redis_ops_per_s", "redis_keys", "redis_used_memory_bytes"} <= _keys("redis1")
    assert {"locust_cpu_percent", "locust_worker_max_cpu_percent"} <= _keys("gen1")
    assert _keys("box") >= _keys("app1") | _keys("redis1") | _keys("gen1")


def test_instance_defaults_to_the_inventory_name_and_can_be_pinned():
    by_key = {(q.host, q.spec.key): q.promql for q in queries.plan(LAB_HOSTS, 15, 15)}
    assert 'job="node",instance=~`app1(:[0-9]+)?`' in by_key[("app1", "cpu_percent")]
    assert 'job="node",instance="10.0.0.9:9100"' in by_key[("box", "cpu_percent")]
    assert 'job="redis",instance=~`box(:[0-9]+)?`' in by_key[("box", "redis_ops_per_s")]


def test_network_devices_exclude_loopback_unless_told_otherwise():
    by_key = {(q.host, q.spec.key): q.promql for q in queries.plan(LAB_HOSTS, 15, 15)}
    assert 'device=~".+",device!~"lo"' in by_key[("app1", "net_in_bytes_per_s")]
    assert 'device=~"lo",device!~""' in by_key[("plain", "net_out_bytes_per_s")]


def test_rate_window_spans_four_scrapes_or_one_step():
    assert queries.rate_window(2, 2) == "8s"
    assert queries.rate_window(15, 120) == "120s"


def test_promtool_accepts_every_query(tmp_path: Path):
    """Each expression as a recording rule: promtool parses them all, one bad query fails."""
    promtool = require_binary("promtool", "prometheus")
    rules = [
        {"record": f"rig:{q.host}:{q.spec.key}", "expr": q.promql}
        for q in queries.plan(LAB_HOSTS, 15, 15)
    ]
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "report", "rules": rules}]}))
    done = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(rules)} rules found" in done.stdout + done.stderr
