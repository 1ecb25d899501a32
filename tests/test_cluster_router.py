"""app/cluster.py tested as its library would be: slot hashing against the server's own CLUSTER
KEYSLOT for any key (hash tags included), each command sent straight to the key's owner, and
MOVED/ASK while a slot migrates between two primaries of a real local cluster.

The router is kept instead of redis-py's RedisCluster for its cost per command: see
bench/cluster_client_cost.py and docs/scaling.md.
"""

import contextlib
from urllib.parse import urlsplit

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.crc import key_slot

from app.cluster import ClusterConnections
from app.connections import Connections

PREFIX = b"rig:router-test:"


def recording_router(cluster) -> tuple[ClusterConnections, list[tuple[int, bytes]]]:
    """A router whose per-node connections (real ones) note the port of each command."""
    calls: list[tuple[int, bytes]] = []

    class Recorded(Connections):
        def __init__(self, url, timeout, *pool_args):
            super().__init__(url, timeout, *pool_args)
            self.port = urlsplit(url).port

        def call(self, *args):
            name = args[0].encode() if isinstance(args[0], str) else args[0]
            calls.append((self.port, name))
            return super().call(*args)

    return ClusterConnections(cluster.url, 2.0, 4, node_factory=Recorded), calls


def owner_of_slot(node: redis.Redis, slot: int) -> int:
    """The port of the primary that serves `slot`, as the server's own CLUSTER SLOTS says."""
    for first, last, primary, *_replicas in node.execute_command("CLUSTER", "SLOTS"):
        if first <= slot <= last:
            return int(primary[1])
    raise AssertionError(f"slot {slot} is not served")


# Hash tags: the part between the first "{" and the next "}" is hashed when it is not empty.
tag_text = st.text(alphabet="ab{}:x", max_size=12).map(str.encode)
suffixes = st.one_of(st.binary(max_size=24), tag_text, st.builds(b"".join, st.lists(tag_text)))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(suffix=suffixes)
def test_every_key_goes_to_the_primary_the_server_names(json_redis_cluster, suffix):
    key = PREFIX + suffix
    node = redis.Redis(port=json_redis_cluster.ports[0])
    try:
        slot = node.execute_command("CLUSTER", "KEYSLOT", key)
        assert key_slot(key) == slot
        router, calls = recording_router(json_redis_cluster)
        router.primaries()  # the slot map first, so that only the command is counted
        calls.clear()
        router.call("SET", key, b"v")
        # exactly one command, to the owner: no MOVED was needed
        assert calls == [(owner_of_slot(node, slot), b"SET")]
        assert redis.Redis(port=calls[0][0]).get(key) == b"v"
        router.call("DEL", key)
    finally:
        node.close()


def test_hash_tags_put_keys_in_one_slot_and_an_empty_tag_does_not(json_redis_cluster):
    node = redis.Redis(port=json_redis_cluster.ports[0])
    slots = {node.execute_command("CLUSTER", "KEYSLOT", k) for k in (b"{u1}a", b"x{u1}", b"u1")}
    assert len(slots) == 1 and key_slot(b"{u1}a") in slots
    assert key_slot(b"{}u1") == node.execute_command("CLUSTER", "KEYSLOT", b"{}u1")
    assert key_slot(b"{}u1") != key_slot(b"u1")
    node.close()


@pytest.fixture
def migrating_key(json_redis_cluster):
    """A key on the first primary, and a way to move its slot to the second; the slot goes
    back afterwards so the session's split stays even."""
    source, target = (redis.Redis(port=p) for p in json_redis_cluster.ports[:2])
    key = next(
        k
        for k in (PREFIX + f"moving:{i}".encode() for i in range(10_000))
        if owner_of_slot(source, key_slot(k)) == json_redis_cluster.ports[0]
    )
    slot = key_slot(key)
    ids = {"source": source.cluster("MYID"), "target": target.cluster("MYID")}
    yield key, slot, source, target, ids
    with contextlib.suppress(redis.ResponseError):  # MOVED where the test stopped early
        target.delete(key)
    for node in (source, target):
        node.execute_command("CLUSTER", "SETSLOT", slot, "NODE", ids["source"])
    source.delete(key)
    for node in (source, target):
        node.close()


def test_ask_is_followed_without_changing_the_map_and_moved_updates_it(
    json_redis_cluster, migrating_key
):
    key, slot, source, target, ids = migrating_key
    source_port, target_port = json_redis_cluster.ports[:2]
    router, calls = recording_router(json_redis_cluster)
    router.call("JSON.SET", key, "$", b'{"a":1}')
    assert calls[-1] == (source_port, b"JSON.SET")

    target.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", ids["source"])
    source.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", ids["target"])
    source.execute_command("MIGRATE", "127.0.0.1", target_port, "", 0, 5000, "KEYS", key)
    # Mid-migration: the source answers ASK; the router asks the target on a connection of its
    # own and keeps its map (the slot is still the source's until the migration ends).
    calls.clear()
    assert router.call("JSON.GET", key, "$") == b'[{"a":1}]'
    assert router.call("JSON.GET", key, "$") == b'[{"a":1}]'
    assert calls == [(source_port, b"JSON.GET")] * 2

    for node in (source, target):
        node.execute_command("CLUSTER", "SETSLOT", slot, "NODE", ids["target"])
    # Migration done: MOVED once, the map is read again, and later commands go straight to
    # the target.
    calls.clear()
    router.call("JSON.SET", key, "$.a", 2)
    assert (source_port, b"JSON.SET") == calls[0]
    assert calls[-1] == (target_port, b"JSON.SET")
    calls.clear()
    assert router.call("JSON.GET", key, "$") == b'[{"a":2}]'
    assert calls == [(target_port, b"JSON.GET")]


def test_a_script_is_loaded_on_the_shard_that_owns_its_key(json_redis_cluster):
    router, calls = recording_router(json_redis_cluster)
    script = router.script("return redis.call('SET', KEYS[1], ARGV[1])")
    router.primaries()
    calls.clear()
    node = redis.Redis(port=json_redis_cluster.ports[0])
    try:
        for i in range(6):  # keys on more than one shard
            key = PREFIX + f"script:{i}".encode()
            assert script([key], ["v"]) == b"OK"
            owner = owner_of_slot(node, key_slot(key))
            assert {port for port, _ in calls} == {owner}
            assert redis.Redis(port=owner).get(key) == b"v"
            router.call("DEL", key)
            calls.clear()
        with pytest.raises(ValueError, match="exactly one key"):
            script([PREFIX + b"a", PREFIX + b"b"], [])
    finally:
        node.close()
