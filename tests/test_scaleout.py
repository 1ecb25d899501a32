"""The one-box scale-out tiers live: a 3-primary cluster, two API instances behind HAProxy,
Prometheus scraping HAProxy's exporter and redis_exporter per shard, and the report's tier
queries answering with figures for every backend and shard."""

import shutil
import time

import pytest
import requests
import yaml

from reports import tiers
from rig import processes, scaleout, serve
from rig.errors import RigError
from rig.ports import free_port, http_ok, wait_until
from tests.support import require_binary


@pytest.fixture
def tiers_up(tmp_path):
    require_binary("haproxy", "haproxy")
    data = scaleout.start_data_tier(3, tmp_path)
    started = [data]

    def start_api(index, log):
        return serve.start(data.url, settings={"RIG_WORKERS": "1", **data.api_settings},
                           log_path=log)  # fmt: skip

    try:
        app = scaleout.start_app_tier(2, start_api, tmp_path, tmp_path)
        started.append(app)
        yield data, app
    finally:
        for tier in reversed(started):
            tier.stop()


def _prometheus(tmp_path, jobs):
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump({"global": {"scrape_interval": "1s"}, "scrape_configs": jobs}))
    port = free_port()
    proc = processes.spawn(
        [shutil.which("prometheus"), f"--config.file={config}",
         f"--web.listen-address=127.0.0.1:{port}", f"--storage.tsdb.path={tmp_path / 'tsdb'}"],
        log_path=tmp_path / "prometheus.log",
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: http_ok(f"{url}/-/ready"), 60, "prometheus")
    wait_until(lambda: _all_targets_scraped(url, expected=6), 30, "every target scraped once")
    return proc, url


def _all_targets_scraped(url: str, expected: int) -> bool:
    """Counters need a scrape before the load, or rate() sees them only after it."""
    targets = requests.get(f"{url}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
    return len(targets) == expected and all(t["health"] == "up" for t in targets)


def test_tier_figures_come_from_haproxy_and_every_shard(tiers_up, tmp_path):
    require_binary("prometheus", "prometheus")
    exporter = require_binary("prometheus-redis-exporter", "prometheus-redis-exporter")
    data, app = tiers_up
    port = free_port()
    exporter_proc = processes.spawn([exporter, "-web.listen-address", f"127.0.0.1:{port}"])
    labels = {"instance": "local"}
    jobs = scaleout.scrape_jobs(data, app, f"127.0.0.1:{port}", labels)
    assert [job["job_name"] for job in jobs] == ["app", "haproxy", "redis"]
    prom, url = _prometheus(tmp_path, jobs)
    try:
        start = time.time()
        with requests.Session() as session:
            for i in range(300):  # keys on every shard, requests through both instances
                response = session.post(f"{app.target}/api/v1/add_json", json={"i": i})
                assert response.status_code == 201
        time.sleep(4)  # a few scrapes after the load
        hosts = {"local": {"roles": ["redis", "loadbalancer"], "instance": "local"}}
        found = tiers.collect(hosts, url, start, time.time(), 1, "4s")
    finally:
        processes.stop(prom)
        processes.stop(exporter_proc)
    assert set(found["backends"]) == {"app1", "app2"}
    shares = [b["share_percent"] for b in tiers.backend_rows(found)]
    assert all(40 <= share <= 60 for share in shares), shares
    assert all(b["requests_per_s"] > 0 for b in found["backends"].values())
    shards = found["shards"]
    assert set(shards) == {f"127.0.0.1:{p}" for p in data.ports}
    for figures in shards.values():
        assert figures["keys"] > 0 and figures["ops_per_s"] > 0
        assert figures["main_thread_cpu_percent"] > 0 and figures["used_memory_bytes"] > 0
    assert found["balancer"]["local"]["cpu_percent"] >= 0


def test_a_single_redis_and_one_instance_need_no_balancer(tmp_path):
    data = scaleout.start_data_tier(None, tmp_path)
    try:
        app = scaleout.start_app_tier(1, lambda i, log: serve.start(data.url, log_path=log),
                                      tmp_path, tmp_path)  # fmt: skip
        try:
            assert app.balancer is None and app.target == app.apis[0].url
            assert scaleout.scrape_jobs(data, app, "127.0.0.1:1", {}) == []
            assert scaleout.roles(data, app, ["app"]) == ["app"]
        finally:
            app.stop()
    finally:
        data.stop()


@pytest.mark.parametrize("instances", [0, -2, scaleout.MAX_APP_INSTANCES + 1])
def test_an_impossible_instance_count_is_refused(instances):
    with pytest.raises(RigError, match="--app-instances"):
        scaleout.check_instances(instances)


def test_instances_already_started_stop_when_a_later_one_fails(tmp_path, json_redis):
    started = []

    def start_api(index, log):
        if index == 1:
            raise RigError("instance 2 did not start")
        api = serve.start(json_redis.url, log_path=log)
        started.append(api)
        return api

    require_binary("haproxy", "haproxy")
    with pytest.raises(RigError, match="instance 2"):
        scaleout.start_app_tier(2, start_api, tmp_path, tmp_path)
    assert started[0].process.poll() is not None
