"""Redis Cluster routing for the API: each command goes to the primary that owns its key's slot.

redis-py's RedisCluster client adds its own per-command machinery (node lookup objects,
retries with back-off, a command parser for keys): 1.26 x this router's client CPU per
command (bench/cluster_client_cost.py, docs/scaling.md), so the router is kept and tested as
a client library is (tests/test_cluster_router.py). Every command the API sends names exactly
one key at a known position, so routing is a CRC16 of the key (redis-py's key_slot, C code via
binascii) and a list index; each primary gets its own per-process Connections, the same code
path as with one Redis. The slot map comes from CLUSTER SLOTS, read again after a MOVED or
after a node stopped answering (at most once a second), so a moved slot or a returning shard
is picked up by itself. What cannot be served raises ClusterUnavailable, a ConnectionError:
the API's clean 503, exactly like a lost single Redis.
"""

import hashlib
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

from app.connections import Connections

REFRESH_INTERVAL = 1.0  # seconds between slot-map reads while a node is failing
MAX_REDIRECTS = 3


class ClusterUnavailable(redis.ConnectionError):
    """The slot's primary cannot serve it now (down, CLUSTERDOWN, or redirected too often)."""


def node_url(seed_url: str, host: str, port: int) -> str:
    """The seed URL's scheme, credentials and options with another node's address (db 0)."""
    parts = urlsplit(seed_url)
    userinfo = parts.netloc.rpartition("@")[0]
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    netloc = f"{userinfo}@{address}" if userinfo else address
    return urlunsplit((parts.scheme, netloc, "/0", parts.query, ""))


def parse_slots(reply, default_host: str) -> list[tuple[int, int, str, int]]:
    """CLUSTER SLOTS -> [(first, last, host, port)] of the primaries; rejects malformed replies."""
    ranges = []
    for entry in reply or []:
        if not isinstance(entry, list | tuple) or len(entry) < 3:
            raise redis.ResponseError(f"malformed CLUSTER SLOTS entry: {entry!r}")
        first, last, primary = entry[0], entry[1], entry[2]
        if not isinstance(primary, list | tuple) or len(primary) < 2:
            raise redis.ResponseError(f"malformed CLUSTER SLOTS node: {primary!r}")
        host = primary[0].decode() if isinstance(primary[0], bytes) else str(primary[0])
        first, last, port = int(first), int(last), int(primary[1])
        if not 0 <= first <= last < REDIS_CLUSTER_HASH_SLOTS or not 0 < port < 65536:
            raise redis.ResponseError(f"CLUSTER SLOTS out of range: {entry!r}")
        ranges.append((first, last, host if host not in ("", "?") else default_host, port))
    return ranges


def command_key(args: tuple) -> bytes:
    """The one key of an API command: after the name, or after EVALSHA's sha and key count."""
    key = args[3] if args[0] in ("EVALSHA", "EVAL", b"EVALSHA", b"EVAL") else args[1]
    return key.encode() if isinstance(key, str) else key


class ClusterConnections:
    """The Connections interface (call, script) over every primary of a Redis Cluster."""

    def __init__(self, redis_url: str, timeout: float, *pool_args, node_factory=Connections):
        self._url = redis_url
        self._timeout = timeout
        self._pool_args = pool_args  # passed on to each primary's Connections (pool size)
        self._factory = node_factory
        seed = urlsplit(redis_url)
        self._seed = (seed.hostname or "127.0.0.1", seed.port or 6379)
        self._nodes: dict[tuple[str, int], Connections] = {}
        self._slots: list[tuple[str, int] | None] = []
        self._stale = True
        self._last_refresh = float("-inf")
        self._lock = threading.RLock()
        self._failing: set[tuple[str, int]] = set()  # nodes that lately refused or timed out

    # -- routing ---------------------------------------------------------------------------

    def call(self, *args):
        return self.call_for_key(command_key(args), *args)

    def call_for_key(self, key: bytes, *args):
        """The fast path: one CRC, one list index, the owner's connections; the rest is rare."""
        slot = key_slot(key)
        if self._stale or not self._slots:
            self._refresh()
        address = self._slots[slot] if self._slots else None
        if address is None:
            raise ClusterUnavailable(f"no primary serves slot {slot}")
        connections = self._nodes.get(address) or self.node(address)
        try:
            return connections.call(*args)
        except redis.exceptions.AskError as exc:  # MOVED is an AskError too
            return self._redirected(slot, exc, args)
        except (redis.exceptions.ClusterDownError, redis.exceptions.TryAgainError) as exc:
            self._stale = True
            raise ClusterUnavailable(f"slot {slot}: {exc}") from None
        except (redis.ConnectionError, redis.TimeoutError):
            self._stale = True  # a failover may have moved the slot: read the map again
            self._failing.add(address)
            raise

    def _redirected(self, slot: int, exc: redis.exceptions.AskError, args: tuple):
        """Follow MOVED (slot map read again) and ASK (one-off ASKING), a few times at most."""
        for _ in range(MAX_REDIRECTS):
            try:
                if isinstance(exc, redis.exceptions.MovedError):
                    self._stale = True
                    self._refresh(force=True)
                    address = self._owner(slot, fallback=(exc.host, exc.port))
                    return self.node(address).call(*args)
                return self._ask((exc.host, exc.port), args)
            except redis.exceptions.AskError as again:
                exc = again
            except (redis.exceptions.ClusterDownError, redis.exceptions.TryAgainError) as down:
                self._stale = True
                raise ClusterUnavailable(f"slot {slot}: {down}") from None
            except (redis.ConnectionError, redis.TimeoutError):
                self._stale = True
                raise
        raise ClusterUnavailable(f"slot {slot}: redirected more than {MAX_REDIRECTS} times")

    def node(self, address: tuple[str, int]) -> Connections:
        connections = self._nodes.get(address)
        if connections is None:
            with self._lock:
                connections = self._nodes.get(address)
                if connections is None:
                    connections = self._factory(
                        node_url(self._url, *address), self._timeout, *self._pool_args
                    )
                    self._nodes[address] = connections
        return connections

    def primaries(self) -> list[tuple[str, int]]:
        """Addresses of the primaries in the current slot map (read first if needed)."""
        self._refresh()
        return sorted({address for address in self._slots if address is not None})

    def _owner(self, slot: int, fallback: tuple[str, int] | None = None) -> tuple[str, int]:
        self._refresh()
        address = self._slots[slot] if self._slots else None
        if address is None:
            if fallback is not None:
                return fallback
            raise ClusterUnavailable(f"no primary serves slot {slot}")
        return address

    def _ask(self, address: tuple[str, int], args: tuple):
        """ASKING and the command on one connection of their own (only while a slot migrates)."""
        pool = redis.ConnectionPool.from_url(
            node_url(self._url, *address),
            socket_timeout=self._timeout,
            socket_connect_timeout=self._timeout,
        )
        connection = pool.make_connection()
        try:
            connection.send_command("ASKING")
            connection.read_response()
            connection.send_command(*args)
            return connection.read_response()
        finally:
            connection.disconnect()

    # -- slot map --------------------------------------------------------------------------

    def _refresh(self, force: bool = False) -> None:
        if not self._stale and self._slots:
            return
        if self._recent(force):
            return
        with self._lock:  # one thread reads the map; the others then find it fresh
            if (not self._stale and self._slots) or self._recent(force):
                return
            self._last_refresh = time.monotonic()
            self._slots = self._read_slot_map()
            self._stale = False

    def _recent(self, force: bool) -> bool:
        """While a node is down, read the map at most once a second (MOVED always reads it)."""
        return (
            bool(self._slots)
            and not force
            and (time.monotonic() - self._last_refresh < REFRESH_INTERVAL)
        )

    def _read_slot_map(self) -> list[tuple[str, int] | None]:
        """The map from the first node that answers: the seed, then every known node."""
        known = [a for a in self._known() if a != self._seed]
        # Nodes that failed lately are asked last: a dead host costs a connect timeout.
        candidates = sorted([self._seed, *known], key=lambda a: a in self._failing)
        errors = []
        for address in candidates:
            try:
                reply = self.node(address).call("CLUSTER", "SLOTS")
                ranges = parse_slots(reply, default_host=address[0])
            except redis.RedisError as exc:
                if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
                    self._failing.add(address)
                errors.append(f"{address[0]}:{address[1]}: {exc}")
                continue
            self._failing.discard(address)
            slots: list[tuple[str, int] | None] = [None] * REDIS_CLUSTER_HASH_SLOTS
            for first, last, host, port in ranges:
                slots[first : last + 1] = [(host, port)] * (last - first + 1)
            return slots
        if self._slots:
            return self._slots  # keep routing with the last map; failing nodes fail alone
        raise ClusterUnavailable("no cluster node answered CLUSTER SLOTS: " + "; ".join(errors))

    def _known(self) -> list[tuple[str, int]]:
        return sorted({a for a in self._slots if a is not None} | set(self._nodes))

    def script(self, source: str) -> "ClusterScript":
        return ClusterScript(self, source)


class ClusterScript:
    """A single-key Lua script run with EVALSHA on the key's primary, loaded there when missing."""

    def __init__(self, cluster: ClusterConnections, source: str):
        self.cluster = cluster
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    def __call__(self, keys: list, args: list):
        if len(keys) != 1:
            raise ValueError("cluster scripts take exactly one key")
        key = keys[0].encode() if isinstance(keys[0], str) else keys[0]
        try:
            return self.cluster.call_for_key(key, "EVALSHA", self.sha, 1, key, *args)
        except redis.exceptions.NoScriptError:
            self.cluster.call_for_key(key, "SCRIPT", "LOAD", self.source)
            return self.cluster.call_for_key(key, "EVALSHA", self.sha, 1, key, *args)


def probe_primaries(cluster: ClusterConnections) -> tuple[list[str], list[str], list[str]]:
    """Readiness of every primary: (ready, unreachable, without the JSON module), as messages.

    JSON.DEBUG HELP names no key, so any primary answers it, and only with the module loaded.
    """
    ready, unreachable, no_json = [], [], []
    for host, port in cluster.primaries():
        name = f"{host}:{port}"
        try:
            cluster.node((host, port)).call("JSON.DEBUG", "HELP")
        except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError) as exc:
            unreachable.append(f"{name}: {exc}")
            continue
        except redis.ResponseError:
            no_json.append(name)
            continue
        ready.append(name)
    return ready, unreachable, no_json
