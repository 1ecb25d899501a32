"""Deletes the rig's own keys (SCAN MATCH <prefix>* + UNLINK in batches), never anything else."""

import re

import redis

from rundir.errors import RigError

BATCH = 1000


def match_pattern(prefix: str) -> str:
    """A SCAN MATCH pattern for keys starting with `prefix`, its glob characters escaped."""
    if not prefix:
        raise RigError("refusing to reset with an empty prefix: that would delete every key")
    return re.sub(r"([*?\[\]\\])", r"\\\1", prefix) + "*"


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
        raise RigError(f"reset of {redis_url}: {exc}") from exc
    return deleted
