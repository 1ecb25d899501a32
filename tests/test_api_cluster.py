"""The API against a real 3-primary Redis Cluster (RIG_REDIS_CLUSTER=1): routing, scripts on
every shard, MOVED/ASK while a slot moves, a stopped shard (503 for its keys only), recovery."""

import subprocess
import uuid

import pytest
import redis
import requests
from redis.crc import key_slot

from loadgen.reset import reset
from rig import redis_cluster, serve
from rig.ports import wait_until

KINDS = ["json", "string"]


def owner_port(cluster, key: str) -> int:
    """The port of the primary that serves `key` (from our own even split of the slots)."""
    slot = key_slot(key.encode())
    for port, (first, last) in zip(cluster.ports, redis_cluster.slot_ranges(3), strict=True):
        if first <= slot <= last:
            return port
    raise AssertionError(f"slot {slot} has no primary")


def ids_per_primary(cluster, kind: str, per_primary: int = 2, prefix: str = "rig:") -> dict:
    """Document ids whose keys land on each primary, `per_primary` of each."""
    found = {port: [] for port in cluster.ports}
    while any(len(ids) < per_primary for ids in found.values()):
        doc_id = f"c-{uuid.uuid4().hex[:10]}"
        ids = found[owner_port(cluster, f"{prefix}{kind}:{doc_id}")]
        if len(ids) < per_primary:
            ids.append(doc_id)
    return found


@pytest.mark.parametrize("kind", KINDS)
def test_every_operation_works_on_every_shard(cluster_api, json_redis_cluster, kind):
    base = f"{cluster_api.url}/api/v1"
    for port, doc_ids in ids_per_primary(json_redis_cluster, kind).items():
        for doc_id in doc_ids:
            doc = {"name": doc_id, "stats": {"attack": 1, "list": [1, 2, 3]}}
            created = requests.post(f"{base}/add_{kind}", json=doc, params={"id": doc_id})
            assert created.status_code == 201, created.text
            url = f"{base}/{kind}/{doc_id}"
            assert requests.get(url).json() == doc
            # the nested update runs as a Lua script (string) or JSON.SET via script (json)
            patched = requests.patch(url, params={"path": "$.stats.attack"}, json={"x": port})
            assert patched.status_code == 200, patched.text
            assert requests.get(url, params={"path": "$.stats.attack"}).json() == [{"x": port}]
            assert requests.get(url, params={"path": "$.stats.list[1]"}).json() == [2]
            assert requests.put(url, json={"replaced": True}).status_code == 200
            assert requests.get(url).json() == {"replaced": True}
            key = f"rig:{kind}:{doc_id}"
            assert redis.Redis(port=port).exists(key) == 1, f"{key} should live on {port}"
            assert requests.delete(url).status_code == 200
            assert requests.get(url).status_code == 404


def test_readyz_counts_the_primaries(cluster_api):
    ready = requests.get(f"{cluster_api.url}/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "primaries": 3}


def test_reset_deletes_our_keys_on_every_primary_and_nothing_else(json_redis_cluster):
    nodes = [redis.Redis(port=port) for port in json_redis_cluster.ports]
    placed = ids_per_primary(json_redis_cluster, "string", 3, prefix="resettest:")
    for node, port in zip(nodes, json_redis_cluster.ports, strict=True):
        for doc_id in placed[port]:
            node.set(f"resettest:string:{doc_id}", b"x")
    outside = "keep:{resettest}"  # outside the prefix, on whichever primary owns its slot
    owner = nodes[json_redis_cluster.ports.index(owner_port(json_redis_cluster, outside))]
    owner.set(outside, b"y")
    assert reset(json_redis_cluster.url, "resettest:") == 9
    for node in nodes:
        assert list(node.scan_iter(match="resettest:*")) == []
    assert owner.get(outside) == b"y"
    owner.delete(outside)


def test_a_slot_moving_between_primaries_is_followed_through_ask_and_moved(
    json_redis_cluster, cluster_api
):
    doc_id = ids_per_primary(json_redis_cluster, "json", 1)[json_redis_cluster.ports[0]][0]
    url = f"{cluster_api.url}/api/v1/json/{doc_id}"
    assert requests.post(f"{cluster_api.url}/api/v1/add_json", json={"a": 1},
                         params={"id": doc_id}).status_code == 201  # fmt: skip
    key = f"rig:json:{doc_id}"
    slot = key_slot(key.encode())
    source, target = (redis.Redis(port=p) for p in json_redis_cluster.ports[:2])
    source_id, target_id = source.cluster("MYID"), target.cluster("MYID")
    target.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", source_id)
    source.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", target_id)
    source.execute_command("MIGRATE", "127.0.0.1", json_redis_cluster.ports[1], "", 0, 5000,
                           "KEYS", key)  # fmt: skip
    # mid-migration the source answers ASK for the moved key: the API follows it (2 workers)
    for _ in range(4):
        assert requests.get(url).json() == {"a": 1}
    for node in (source, target):
        node.execute_command("CLUSTER", "SETSLOT", slot, "NODE", target_id)
    # now the source answers MOVED: the API reads the slot map again and goes to the target
    for _ in range(4):
        assert requests.patch(url, params={"path": "$.a"}, json=2).status_code == 200
    assert requests.get(url).json() == {"a": 2}
    assert target.exists(key) == 1
    assert source.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 0
    target.delete(key)
    for node in (source, target):  # give the slot back so the session's split stays even
        node.execute_command("CLUSTER", "SETSLOT", slot, "NODE", source_id)


def test_a_stopped_shard_fails_only_its_keys_with_503_and_the_api_recovers(start_api, tmp_path):
    cluster = redis_cluster.start(3, data_dir=tmp_path / "cluster")
    try:
        api = start_api(cluster.url, RIG_REDIS_CLUSTER="1", RIG_WORKERS="1",
                        RIG_REDIS_TIMEOUT_MS="500")  # fmt: skip
        base = f"{api.url}/api/v1"
        placed = {kind: ids_per_primary(cluster, kind, 2) for kind in KINDS}
        for kind, by_port in placed.items():
            for doc_ids in by_port.values():
                for doc_id in doc_ids:
                    response = requests.post(f"{base}/add_{kind}", json={"a": {"b": 1}},
                                             params={"id": doc_id})  # fmt: skip
                    assert response.status_code == 201
        stopped = cluster.ports[1]
        cluster.stop_primary(1)
        for kind, by_port in placed.items():
            for port, doc_ids in by_port.items():
                for doc_id in doc_ids:
                    for response in _every_operation(base, kind, doc_id):
                        if port == stopped:
                            assert response.status_code == 503, response.text
                            assert response.json()["error"]["code"] == "redis_unavailable"
                        else:
                            assert response.status_code in (200, 201), response.text
        ready = requests.get(f"{api.url}/readyz")
        assert ready.status_code == 200  # other shards still serve: stay in the balancer
        assert len(ready.json()["unreachable"]) == 1

        cluster.restart_primary(1)
        doc_id = placed["json"][stopped][0]
        wait_until(lambda: requests.get(f"{base}/json/{doc_id}").status_code == 404, 30,
                   "the API serving the returned shard")  # fmt: skip
        assert requests.post(f"{base}/add_json", json={"back": 1},
                             params={"id": doc_id}).status_code == 201  # fmt: skip
        assert requests.get(f"{base}/json/{doc_id}").json() == {"back": 1}
        assert requests.get(f"{api.url}/readyz").json() == {"status": "ready", "primaries": 3}
    finally:
        cluster.stop()


def _every_operation(base: str, kind: str, doc_id: str):
    url = f"{base}/{kind}/{doc_id}"
    yield requests.get(url, timeout=10)
    yield requests.get(url, params={"path": "$.a.b"}, timeout=10)
    yield requests.patch(url, params={"path": "$.a.b"}, json=2, timeout=10)
    yield requests.put(url, json={"a": {"b": 3}}, timeout=10)
    yield requests.post(f"{base}/add_{kind}", json={"a": {"b": 1}}, params={"id": doc_id},
                        timeout=10)  # fmt: skip


def test_an_invalid_cluster_flag_stops_the_api_with_a_clear_message(json_redis_cluster):
    env = serve.gunicorn_env(json_redis_cluster.url, "127.0.0.1:1",
                             {"RIG_REDIS_CLUSTER": "maybe"})  # fmt: skip
    result = subprocess.run(serve.gunicorn_argv(), env=env, capture_output=True, text=True,
                            timeout=60, cwd=serve.REPO_ROOT)  # fmt: skip
    assert result.returncode != 0
    assert "RIG_REDIS_CLUSTER" in result.stderr


def test_cluster_mode_against_a_single_redis_gives_503_not_500(start_api, json_redis):
    api = start_api(json_redis.url, RIG_REDIS_CLUSTER="1", RIG_WORKERS="1")
    response = requests.get(f"{api.url}/api/v1/json/anything")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "redis_unavailable"


def test_rig_seed_through_the_api_fills_every_primary(cluster_api, json_redis_cluster):
    from rig import cli

    assert cli.main(["seed", "--host", cluster_api.url, "--count", "30", "--size", "small"]) == 0
    for port in json_redis_cluster.ports:
        node = redis.Redis(port=port)
        assert list(node.scan_iter(match="rig:json:seed-*", count=1000)), f"no seed keys on {port}"
        assert list(node.scan_iter(match="rig:string:seed-*", count=1000))
