"""`rig local --app-instances 2 --redis-cluster 3` end to end: two API instances behind a
local HAProxy over a 3-primary Redis Cluster, the report's balancer and shard sections and
its bottleneck line, and nothing left running afterwards."""

import json
import re

import pytest

from reports import run_dir
from tests.support import require_binary
from tests.test_local_live import run_local


@pytest.mark.live
def test_two_instances_behind_haproxy_over_a_cluster_report_every_tier(tmp_path):
    for name, package in [
        ("haproxy", "haproxy"),
        ("prometheus", "prometheus"),
        ("prometheus-node-exporter", "prometheus-node-exporter"),
        ("prometheus-redis-exporter", "prometheus-redis-exporter"),
        ("prometheus-process-exporter", "prometheus-process-exporter"),
    ]:
        require_binary(name, package)
    path, out, watched = run_local("--results-dir", str(tmp_path), "--app-instances", "2",
                                   "--redis-cluster", "3", "--run-time", "15s",
                                   "--app-workers", "1")  # fmt: skip
    assert "HAProxy http://127.0.0.1:" in out and "Redis Cluster of 3 primaries" in out
    info = json.loads((path / run_dir.RUN_JSON).read_text())
    assert "loadbalancer" in info["hosts"]["local"]["roles"]
    assert info["config"]["app_instances"] == 2 and info["config"]["redis_cluster"] == 3
    assert info["target"] == re.search(r"HAProxy (http://127\.0\.0\.1:\d+)", out).group(1)
    tiers = json.loads((path / run_dir.METRICS_JSON).read_text())["tiers"]
    shares = [b["requests_per_s"] for b in tiers["backends"].values()]
    assert len(shares) == 2 and all(share / sum(shares) >= 0.3 for share in shares), tiers
    assert len(tiers["shards"]) == 3
    for shard in tiers["shards"].values():
        assert shard["keys"] > 0 and shard["ops_per_s"] > 0, tiers
    text = (path / run_dir.SUMMARY_MD).read_text()
    assert "## Load balancer" in text and "## Redis shards" in text
    assert re.search(r"^\| Bottleneck \| \S", text, re.M), text
    assert watched.leftovers() == []


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--app-instances", "0", "--app-instances must be 1 to"),
        ("--app-instances", "99", "--app-instances must be 1 to"),
        ("--redis-cluster", "-1", "a local cluster has 1 to"),
        ("--redis-cluster", "17", "a local cluster has 1 to"),
    ],
)
def test_impossible_tier_sizes_are_refused_before_anything_starts(tmp_path, capsys, flag,
                                                                  value, message):  # fmt: skip
    from rig import cli

    assert cli.main(["local", "--results-dir", str(tmp_path), flag, value]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
