"""Redis connections of one worker process: redis-py's BlockingConnectionPool, sized to the server.

The pool holds at most as many connections as the worker serves requests at once
(app/concurrency.py), so it can never run out while Redis is healthy; a request that finds
every connection busy waits for one (up to the Redis timeout) instead of failing. redis-py
returns a connection to the pool after every command, whatever the outcome, and disconnects it
after a connection error or a timeout, so an error reply or an outage costs nothing later: the
next command connects again.
"""

import hashlib

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry


class Connections:
    """Commands and server-side scripts over one pool of `max_connections` connections."""

    def __init__(self, redis_url: str, timeout: float, max_connections: int):
        self.pool = redis.BlockingConnectionPool.from_url(
            redis_url,
            max_connections=max_connections,
            timeout=timeout,  # how long a request waits for a free connection
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            # One immediate retry on a fresh connection: an idle connection is broken after a
            # Redis restart. Not on a timeout (the command may still run), and without backoff,
            # so that an outage answers 503 at once instead of after seconds of sleeping.
            retry=Retry(NoBackoff(), retries=1, supported_errors=(redis.ConnectionError,)),
        )
        self.client = redis.Redis(connection_pool=self.pool)

    def call(self, *args):
        """Run one command and return its reply (bytes, ints, lists: no decoding)."""
        return self.client.execute_command(*args)

    def script(self, source: str) -> "Script":
        return Script(self, source)

    def close(self) -> None:
        self.pool.disconnect()


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
