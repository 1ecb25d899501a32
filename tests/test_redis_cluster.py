"""`rig redis --cluster N`: a real local Redis Cluster in the foreground, its signals and errors,
and the pure pieces of the API's cluster routing (slot split, CLUSTER SLOTS parsing, keys)."""

import itertools
import signal
import socket
import subprocess
import sys
import threading

import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st

from app.cluster import command_key, node_url, parse_slots
from rig import redis_cluster
from rig.errors import RigError
from rig.ports import port_is_open, wait_until


@given(st.integers(1, redis_cluster.MAX_PRIMARIES))
def test_slot_ranges_cover_every_slot_once_and_evenly(primaries):
    ranges = redis_cluster.slot_ranges(primaries)
    assert ranges[0][0] == 0 and ranges[-1][1] == redis_cluster.SLOTS - 1
    for (_, last), (first, _) in itertools.pairwise(ranges):
        assert first == last + 1
    sizes = [last - first + 1 for first, last in ranges]
    assert max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize("primaries", [0, -1, redis_cluster.MAX_PRIMARIES + 1])
def test_an_impossible_primary_count_is_refused(primaries):
    with pytest.raises(RigError, match="primaries"):
        redis_cluster.slot_ranges(primaries)


@pytest.mark.parametrize("port", [0, 80, 65535 - redis_cluster.BUS_OFFSET])
def test_ports_without_room_for_the_bus_are_refused(port):
    with pytest.raises(RigError, match="--port"):
        redis_cluster.check_ports(port, 3)


def test_parse_slots_reads_primaries_and_fills_an_empty_host():
    reply = [[0, 5460, [b"", 7000, b"id1"]], [5461, 16383, [b"10.0.0.2", 7001, b"id2"], [b"x", 1]]]
    assert parse_slots(reply, "127.0.0.1") == [
        (0, 5460, "127.0.0.1", 7000),
        (5461, 16383, "10.0.0.2", 7001),
    ]


@given(st.recursive(st.none() | st.integers() | st.binary(max_size=8), st.lists, max_leaves=12))
def test_parse_slots_rejects_garbage_with_a_redis_error_only(reply):
    try:
        ranges = parse_slots(reply if isinstance(reply, list) else [reply], "h")
    except (redis.ResponseError, ValueError, TypeError):
        return
    for first, last, _host, port in ranges:
        assert 0 <= first <= last < 16384 and 0 < port < 65536


def test_command_key_finds_the_key_of_every_command_shape():
    assert command_key(("JSON.SET", "rig:json:a", "$", b"{}")) == b"rig:json:a"
    assert command_key(("EVALSHA", "abc", 1, "rig:string:b", "get")) == b"rig:string:b"
    assert command_key((b"GET", b"rig:string:c")) == b"rig:string:c"


def test_node_url_keeps_scheme_credentials_and_options():
    url = "rediss://user:secret@seed:7000/0?ssl_cert_reqs=none"
    assert (
        node_url(url, "10.0.0.3", 7002) == "rediss://user:secret@10.0.0.3:7002/0?ssl_cert_reqs=none"
    )
    assert node_url("redis://seed:7000", "::1", 7001) == "redis://[::1]:7001/0"


def _rig_redis_cluster(port: int) -> subprocess.Popen:
    argv = [sys.executable, "-m", "rig.cli", "redis", "--cluster", "3", "--port", str(port)]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_rig_redis_cluster_serves_json_on_consecutive_ports_until_a_signal(sig):
    port = redis_cluster.free_base_port(3)
    process = _rig_redis_cluster(port)
    try:
        banner = process.stdout.readline()
        assert "3 primaries" in banner, banner
        ports = [port, port + 1, port + 2]
        redis_cluster.wait_cluster_ok(ports, 30)
        client = redis.RedisCluster(host="127.0.0.1", port=port + 2)
        for i in range(30):
            client.execute_command("JSON.SET", f"rig:json:{i}", "$", '{"a": 1}')
        assert client.execute_command("JSON.GET", "rig:json:7", "$.a") == b"[1]"
        assert all(redis.Redis(port=p).dbsize() > 0 for p in ports)
        client.close()
        process.send_signal(sig)
        assert process.wait(timeout=30) == 0
        for p in (*ports, *(p + redis_cluster.BUS_OFFSET for p in ports)):
            wait_until(lambda p=p: not port_is_open(p), 10, f"port {p} closed")
    finally:
        process.kill()
        process.wait()


def test_a_port_in_use_is_a_clear_error():
    port = redis_cluster.free_base_port(2)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port + 1))
        taken.listen()
        result = subprocess.run(
            [sys.executable, "-m", "rig.cli", "redis", "--cluster", "2", "--port", str(port)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert result.returncode == 2
    assert f"ports already in use: {port + 1}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("offset", [0, 10000], ids=["port", "bus port"])
def test_a_restart_waits_out_a_port_held_for_a_moment(tmp_path, offset):
    """Another socket holds the stopped primary's port (or bus port) for 1.5 s, as an outgoing
    connection's ephemeral port can: the restart tries again and the cluster serves."""
    cluster = redis_cluster.start(2, data_dir=tmp_path / "cluster")
    try:
        cluster.stop_primary(1)
        held = socket.socket()
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the old node's TIME_WAITs
        held.bind(("127.0.0.1", cluster.ports[1] + offset))
        held.listen()
        threading.Timer(1.5, held.close).start()
        cluster.restart_primary(1, timeout=30)
        assert "Address already in use" in (cluster.nodes[1].data_dir / "restart.log").read_text()
        client = redis.Redis(port=cluster.ports[1])
        assert client.execute_command("CLUSTER", "INFO").decode().count("cluster_state:ok") == 1
        client.close()
    finally:
        cluster.stop()


def test_a_restart_that_fails_otherwise_says_why(tmp_path):
    cluster = redis_cluster.start(2, data_dir=tmp_path / "cluster")
    try:
        cluster.stop_primary(1)
        (cluster.nodes[1].data_dir / "nodes.conf").write_text("not a cluster config\n")
        with pytest.raises(RuntimeError, match=r"exited before it was ready: .+"):
            cluster.restart_primary(1, timeout=10)
    finally:
        cluster.stop()
