"""Deletes the rig's own keys (SCAN MATCH <prefix>* + UNLINK in batches), never anything else.

Against a Redis Cluster (found with INFO cluster) every primary is scanned on its own and each
key is unlinked alone (pipelined), since one UNLINK may not span hash slots.
"""

import re
from urllib.parse import urlsplit, urlunsplit

import redis

from rundir.errors import RigError

BATCH = 1000


def match_pattern(prefix: str) -> str:
    """A SCAN MATCH pattern for keys starting with `prefix`, its glob characters escaped."""
    if not prefix:
        raise RigError("refusing to reset with an empty prefix: that would delete every key")
    return re.sub(r"([*?\[\]\\])", r"\\\1", prefix) + "*"


def shown_url(redis_url: str) -> str:
    """The URL as it may appear in messages and logs: its password replaced by ***."""
    try:
        parts = urlsplit(redis_url)
        if parts.password is None:
            return redis_url
    except ValueError:
        return "the Redis URL"
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def reset(redis_url: str, prefix: str = "rig:", batch: int = BATCH) -> int:
    """Delete every key under `prefix` (on every primary of a cluster); how many were deleted."""
    pattern = match_pattern(prefix)
    try:
        client = redis.Redis.from_url(redis_url)
        try:
            if client.info("cluster").get("cluster_enabled"):
                return sum(
                    _reset_node(node, pattern, prefix, batch, one_key_per_command=True)
                    for node in _primaries(redis_url)
                )
            return _reset_node(client, pattern, prefix, batch, one_key_per_command=False)
        finally:
            client.close()
    except (redis.RedisError, ValueError) as exc:
        message = str(exc).replace(redis_url, shown_url(redis_url))
        raise RigError(f"reset of {shown_url(redis_url)}: {message}") from None


def _primaries(redis_url: str) -> list[redis.Redis]:
    """A client per primary (redis-py's cluster client discovers them from any node)."""
    cluster = redis.RedisCluster.from_url(redis_url)
    return [cluster.get_redis_connection(node) for node in cluster.get_primaries()]


def _reset_node(client, pattern: str, prefix: str, batch: int, one_key_per_command: bool) -> int:
    raw_prefix = prefix.encode()
    deleted = 0
    pending: list[bytes] = []
    for key in client.scan_iter(match=pattern, count=batch):
        if key.startswith(raw_prefix):  # belt and braces: only our own keys
            pending.append(key)
        if len(pending) >= batch:
            deleted += _unlink(client, pending, one_key_per_command)
            pending.clear()
    if pending:
        deleted += _unlink(client, pending, one_key_per_command)
    return deleted


def _unlink(client: redis.Redis, keys: list[bytes], one_key_per_command: bool) -> int:
    if not one_key_per_command:
        return client.unlink(*keys)
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.unlink(key)
    return sum(pipe.execute())
