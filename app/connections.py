"""Redis connections of one worker process: redis-py's connections, lent out by a lean pool.

Why not redis-py's own pool and client: in redis-py 8 every command through `Redis` and
`BlockingConnectionPool` also goes through retry closures, observability records and the
pool's bookkeeping, which cost 1.4-1.6x the CPU of the bare connection per nested JSON.GET
(bench/connection_layer.py measures both in one run): about a tenth of a request's CPU. The
connections themselves (socket, RESP, hiredis parsing, error replies as exceptions,
disconnect on a timeout or a broken socket) stay redis-py's.

What the pool guarantees, tested in tests/test_api_connections.py:
- at most `max_connections` connections, as many as the worker serves requests at once
  (app/concurrency.py), so it never runs out while Redis is healthy; a command that finds
  every connection busy waits for one up to the Redis timeout, then fails as a
  ConnectionError (the API's 503) instead of opening more;
- every connection comes back after every command, whatever the outcome; redis-py's
  connection has already closed its socket after a timeout, a broken socket or an interrupt
  (a half-read reply is never read by the next command), and an error reply leaves it
  healthy, so an error or an outage costs nothing later: the next command connects again;
- one immediate retry on a fresh connection after a ConnectionError (an idle connection is
  broken after a Redis restart); not after a timeout (the command may still run), and without
  backoff, so that an outage answers 503 at once.
"""

import hashlib
import threading

import redis


class Connections:
    """Commands and server-side scripts over at most `max_connections` connections."""

    def __init__(
        self, redis_url: str, timeout: float, max_connections: int, wait: float | None = None
    ):
        """`timeout` bounds every socket operation; `wait`, the wait for a free connection
        (the same as `timeout` unless given)."""
        if max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, not {max_connections}")
        # Used only to parse the URL into redis-py's connection class and its arguments.
        settings = redis.ConnectionPool.from_url(
            redis_url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self._connection_class = settings.connection_class
        self._connection_kwargs = settings.connection_kwargs
        self.wait = timeout if wait is None else wait
        self.max_connections = max_connections
        # A threading primitive is gevent's own under Gunicorn's gevent workers (the app is
        # imported after the monkey-patching), so a waiting greenlet yields.
        self._slots = threading.BoundedSemaphore(max_connections)
        self._idle: list[redis.Connection] = []  # most recently used last: warm sockets first
        self._made: list[redis.Connection] = []

    @property
    def connections_made(self) -> int:
        return len(self._made)

    @property
    def connections_idle(self) -> int:
        return len(self._idle)

    def call(self, *args):
        """Run one command and return its reply (bytes, ints, lists: no decoding)."""
        if not self._slots.acquire(timeout=self.wait):
            raise redis.ConnectionError(
                f"no free Redis connection within {self.wait} s (all {self.max_connections} busy)"
            )
        try:
            # With a slot held, an idle connection exists or fewer than the maximum were made:
            # list.pop and append are atomic, under threads and greenlets alike.
            connection = self._idle.pop() if self._idle else self._new()
            try:
                return self._run(connection, args)
            finally:
                self._idle.append(connection)
        finally:
            self._slots.release()

    def _new(self) -> redis.Connection:
        connection = self._connection_class(**self._connection_kwargs)
        self._made.append(connection)
        return connection

    @staticmethod
    def _run(connection: redis.Connection, args: tuple):
        try:
            connection.send_command(*args)
            return connection.read_response()
        except redis.ConnectionError:
            connection.disconnect()  # redis-py did already; a no-op then
            connection.send_command(*args)  # connects again
            return connection.read_response()

    def script(self, source: str) -> "Script":
        return Script(self, source)

    def close(self) -> None:
        for connection in self._made:
            connection.disconnect()


class Script:
    """A Lua script run with EVALSHA, loaded into Redis on first use or after a restart."""

    def __init__(self, connections: Connections, source: str):
        self.connections = connections
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    def __call__(self, keys: list, args: list):
        try:
            return self.connections.call("EVALSHA", self.sha, len(keys), *keys, *args)
        except redis.exceptions.NoScriptError:
            self.connections.call("SCRIPT", "LOAD", self.source)
            return self.connections.call("EVALSHA", self.sha, len(keys), *keys, *args)
