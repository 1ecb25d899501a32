"""A local Redis Cluster of N primaries, each with the JSON module (`rig redis --cluster`, tests).

Primaries listen on P..P+N-1 and their cluster buses on P+10000.. (Redis' default offset).
The server binary and rejson.so are found the same way as for a single Redis
(rig/redis_server.py). Slots are split evenly with CLUSTER ADDSLOTSRANGE and the nodes meet
over loopback; the cluster is ready when every node reports cluster_state:ok.
"""

import shutil
import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from rig import processes, redis_server
from rig.errors import RigError
from rig.ports import wait_until
from rig.signals import interrupt_on_signals

SLOTS = 16384
BUS_OFFSET = 10000
MAX_PRIMARIES = 16
# Without full coverage a stopped primary fails only its own slots, not the whole keyspace.
CLUSTER_ARGS = (
    "--cluster-enabled", "yes",
    "--cluster-node-timeout", "2000",
    "--cluster-require-full-coverage", "no",
)  # fmt: skip


def slot_ranges(primaries: int) -> list[tuple[int, int]]:
    """Contiguous, even (first, last) slot ranges covering all 16384 slots."""
    if not 1 <= primaries <= MAX_PRIMARIES:
        raise RigError(f"a local cluster has 1 to {MAX_PRIMARIES} primaries, not {primaries}")
    bounds = [SLOTS * i // primaries for i in range(primaries + 1)]
    return [(bounds[i], bounds[i + 1] - 1) for i in range(primaries)]


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def check_ports(base: int, primaries: int) -> None:
    """Refuse ports out of range or already taken (client ports and bus ports)."""
    if base < 1024 or base + primaries - 1 + BUS_OFFSET > 65535:
        raise RigError(
            f"--port must leave room for {primaries} client ports and their bus ports "
            f"(+{BUS_OFFSET}): 1024..{65535 - BUS_OFFSET - primaries + 1}, not {base}"
        )
    taken = [
        port
        for offset in range(primaries)
        for port in (base + offset, base + offset + BUS_OFFSET)
        if not _port_free(port)
    ]
    if taken:
        raise RigError(f"ports already in use: {', '.join(map(str, taken))}")


def free_base_port(primaries: int) -> int:
    """A base port whose N client ports and N bus ports are all free right now."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            base = sock.getsockname()[1]
        if base + primaries + BUS_OFFSET > 65535:
            base = 20000 + base % 20000
        try:
            check_ports(base, primaries)
        except RigError:
            continue
        return base
    raise RigError(f"found no {primaries} consecutive free ports (and bus ports) on loopback")


@dataclass
class JsonRedisCluster:
    """Running primaries; `stop()` ends them all and removes the data dir if owned."""

    nodes: list[redis_server.JsonRedis]
    data_dir: Path
    module: Path
    owns_data_dir: bool = field(default=False)

    @property
    def ports(self) -> list[int]:
        return [node.port for node in self.nodes]

    @property
    def url(self) -> str:
        """Any node's URL names the cluster; the first primary's is used."""
        return self.nodes[0].url

    @property
    def binary(self) -> Path:
        return self.nodes[0].binary

    def stop_primary(self, index: int) -> None:
        """Stop one primary (its slots become unreachable; the cluster keeps its config)."""
        processes.stop(self.nodes[index].process)

    def restart_primary(self, index: int, timeout: float = 30.0) -> None:
        """Start a stopped primary again on its port; it rejoins from its nodes.conf.

        While it was down, the other nodes and its clients kept connecting to it, and each
        attempt takes an ephemeral local port for a moment: the node's own port or its bus
        port (+10000) can be one of them just then, and the node exits with "Address already
        in use". So a start that fails so is tried again until `timeout`; any other failure
        is raised with the end of the node's log.
        """
        node = self.nodes[index]
        log = node.data_dir / "restart.log"
        deadline = time.monotonic() + timeout
        while True:
            start = log.stat().st_size if log.is_file() else 0  # attempts append to the log
            node.process = _spawn_node(self.binary, self.module, node.port, node.data_dir, log)
            try:
                wait_until(
                    lambda: redis_server._json_module_loaded(node.port, node.process.pid),
                    max(1.0, deadline - time.monotonic()),
                    f"{self.binary.name} on port {node.port}",
                    alive=lambda: node.process.poll() is None,
                )
                break
            except RuntimeError as exc:  # it exited
                said = log.read_bytes()[start:].decode(errors="replace") if log.is_file() else ""
                if "Address already in use" in said and time.monotonic() < deadline:
                    time.sleep(0.2)
                    continue
                tail = " | ".join(said.strip().splitlines()[-3:])
                raise RuntimeError(f"{exc}: {tail or 'no output'}") from None
        wait_cluster_ok(self.ports, timeout)

    def stop(self) -> None:
        for node in self.nodes:
            processes.stop(node.process)
        if self.owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def _spawn_node(binary: Path, module: Path, port: int, node_dir: Path, log_path: Path | None):
    node_dir.mkdir(parents=True, exist_ok=True)
    argv = redis_server.server_argv(binary, module, port, node_dir) + list(CLUSTER_ARGS)
    return processes.spawn(argv, log_path=log_path, cwd=node_dir)


def _start_nodes(binary, module, ports, data_dir, log_dir, timeout):
    nodes = []
    try:
        for port in ports:
            log = log_dir / f"redis-{port}.log" if log_dir else None
            process = _spawn_node(binary, module, port, data_dir / str(port), log)
            nodes.append(redis_server.JsonRedis(port, binary, process, data_dir / str(port)))
        for node in nodes:
            wait_until(
                lambda p=node.port, proc=node.process: redis_server._json_module_loaded(
                    p, proc.pid
                ),
                timeout,
                f"{binary.name} on port {node.port}",
                alive=lambda proc=node.process: proc.poll() is None,
            )
    except BaseException:  # also a signal while starting: no primary may outlive the rig
        for node in nodes:
            processes.stop(node.process)
        raise
    return nodes


def _form_cluster(ports: list[int], timeout: float) -> None:
    clients = [redis.Redis(port=port, socket_timeout=5) for port in ports]
    try:
        for client, (first, last) in zip(clients, slot_ranges(len(ports)), strict=True):
            client.execute_command("CLUSTER", "ADDSLOTSRANGE", first, last)
        for port in ports[1:]:
            clients[0].execute_command("CLUSTER", "MEET", "127.0.0.1", port)
    finally:
        for client in clients:
            client.close()
    wait_cluster_ok(ports, timeout)


def wait_cluster_ok(ports: list[int], timeout: float) -> None:
    """Wait until every node sees all primaries and all slots served (cluster_state:ok)."""
    clients = [redis.Redis(port=port, socket_timeout=2) for port in ports]
    try:
        wait_until(
            lambda: all(_cluster_ok(client, len(ports)) for client in clients),
            timeout,
            f"the cluster on ports {ports[0]}..{ports[-1]} (cluster_state:ok)",
        )
    finally:
        for client in clients:
            client.close()


def _cluster_ok(client: redis.Redis, primaries: int) -> bool:
    try:
        info = client.cluster("INFO")
    except redis.RedisError:
        return False
    if isinstance(info, bytes | str):
        text = info.decode() if isinstance(info, bytes) else info
        info = dict(line.split(":", 1) for line in text.split() if ":" in line)
    return (
        str(info.get("cluster_state")) == "ok"
        and int(info.get("cluster_known_nodes", 0)) == primaries
        and int(info.get("cluster_slots_ok", 0)) == SLOTS
    )


def start(
    primaries: int = 3,
    port: int | None = None,
    data_dir: Path | None = None,
    log_dir: Path | None = None,
    timeout: float = 30.0,
) -> JsonRedisCluster:
    """Start N primaries on port..port+N-1 with the JSON module and join them into a cluster."""
    slot_ranges(primaries)  # validates the count before anything starts
    module = redis_server.json_module_path()
    candidates = redis_server.server_candidates()
    if not candidates:
        raise RigError(f"no redis-server or valkey-server found; {redis_server.INSTALL_HINT}")
    if port is not None:
        check_ports(port, primaries)
    owns = data_dir is None
    data_dir = Path(tempfile.mkdtemp(prefix="rig-redis-cluster-")) if owns else data_dir
    failures = []
    for binary in candidates:
        base = port if port is not None else free_base_port(primaries)
        ports = list(range(base, base + primaries))
        try:
            nodes = _start_nodes(binary, module, ports, data_dir, log_dir, timeout)
        except (RuntimeError, TimeoutError) as exc:
            failures.append(f"{binary}: {exc}")
            continue
        cluster = JsonRedisCluster(nodes, data_dir, module, owns)
        try:
            _form_cluster(ports, timeout)
        except (TimeoutError, redis.RedisError) as exc:
            cluster.stop()
            raise RigError(f"the cluster did not form: {exc}") from exc
        except BaseException:
            cluster.stop()
            raise
        return cluster
    if owns:
        shutil.rmtree(data_dir, ignore_errors=True)
    tried = "; ".join(failures)
    raise RigError(
        f"no Redis server started in cluster mode with the JSON module ({tried}); "
        f"{redis_server.INSTALL_HINT}"
    )


def run_foreground(primaries: int, port: int, data_dir: Path | None = None, poll=0.5) -> int:
    """Start a cluster and keep it until SIGINT/SIGTERM/SIGHUP or until a primary exits (1)."""
    with interrupt_on_signals():
        cluster = None
        try:
            cluster = start(primaries, port, data_dir)
            ports = cluster.ports
            print(
                f"{cluster.binary.name} cluster with RedisJSON: {primaries} primaries on "
                f"127.0.0.1:{ports[0]}..{ports[-1]} (bus ports {ports[0] + BUS_OFFSET}..), "
                f"RIG_REDIS_CLUSTER=1 RIG_REDIS_URL={cluster.url} (Ctrl-C stops it)",
                flush=True,
            )
            while True:
                dead = [node.port for node in cluster.nodes if node.process.poll() is not None]
                if dead:
                    print(f"the primary on port {dead[0]} exited; stopping the cluster")
                    return 1
                time.sleep(poll)
        except KeyboardInterrupt:
            print("stopping")
            return 0
        finally:
            if cluster is not None:
                cluster.stop()
