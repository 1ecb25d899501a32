"""Deletes the rig's own keys (SCAN MATCH <prefix>* + UNLINK in batches), never anything else."""

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
    """Delete every key under `prefix`; returns how many were deleted."""
    pattern = match_pattern(prefix)
    raw_prefix = prefix.encode()
    try:
        client = redis.Redis.from_url(redis_url)
        deleted = 0
        pending: list[bytes] = []
        for key in client.scan_iter(match=pattern, count=batch):
            if key.startswith(raw_prefix):  # belt and braces: only our own keys
                pending.append(key)
            if len(pending) >= batch:
                deleted += client.unlink(*pending)
                pending.clear()
        if pending:
            deleted += client.unlink(*pending)
        client.close()
    except (redis.RedisError, ValueError) as exc:
        message = str(exc).replace(redis_url, shown_url(redis_url))
        raise RigError(f"reset of {shown_url(redis_url)}: {message}") from None
    return deleted
