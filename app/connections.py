"""Redis connections of one worker process, used one command at a time, without per-call probes.

redis-py's client and pool add about 18 µs of CPU to every command (a poll() on each checkout
looking for unread data, retry and observability wrappers): a tenth of the API's whole budget
per request. Here a connection is taken from a LIFO list, used for exactly one command, and put
back only after its complete reply, so it can never hold unread data. redis-py still does the
work that matters: connecting from the URL's settings, packing commands, hiredis parsing.
"""

import hashlib

import redis


class Connections:
    """Commands and server-side scripts over a per-process set of redis-py connections."""

    def __init__(self, redis_url: str, timeout: float):
        self._factory = redis.ConnectionPool.from_url(
            redis_url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        # One connection per concurrent request at most: threads (gthread) or greenlets (gevent).
        self._idle: list[redis.Connection] = []

    def call(self, *args):
        """Run one command; a connection broken while idle (Redis restarted) is retried once."""
        try:
            connection = self._idle.pop()
            reused = True
        except IndexError:
            connection = self._factory.make_connection()
            reused = False
        try:
            reply = self._send(connection, args)
        except (redis.ConnectionError, redis.TimeoutError):
            self._drop_idle()
            if not reused:
                raise
            # Every command the API sends is idempotent, so sending it again is safe.
            reply = self._send(connection, args)
        self._idle.append(connection)
        return reply

    @staticmethod
    def _send(connection: redis.Connection, args: tuple):
        try:
            connection.send_command(*args)
            return connection.read_response()
        except redis.ResponseError:
            raise  # an error reply: the connection is clean and usable
        except BaseException:
            connection.disconnect()
            raise

    def _drop_idle(self) -> None:
        """After a connection error the other idle connections are most likely dead too."""
        while self._idle:
            self._idle.pop().disconnect()

    def script(self, source: str) -> "Script":
        return Script(self, source)


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
