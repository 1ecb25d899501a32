"""The API's settings, read from RIG_* environment variables in one place."""

import os
import re
from dataclasses import dataclass

from app.concurrency import requests_per_worker

DEFAULT_MAX_BODY_BYTES = 1024 * 1024


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_int(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}")
    return value


def check_key_prefix(prefix: str, what: str = "the key prefix") -> str:
    """The prefix, or ValueError: an empty one would let the rig write anywhere in the keyspace."""
    if not re.fullmatch(r"[A-Za-z0-9:_.\-]{1,64}", prefix):
        raise ValueError(f"{what} must be 1-64 of letters, digits, ':_-.', not {prefix!r}")
    return prefix


@dataclass(frozen=True)
class Settings:
    redis_url: str = "redis://127.0.0.1:6379/0"
    key_prefix: str = "rig:"
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    redis_timeout_seconds: float = 2.0
    # Redis connections per worker process: as many as it serves requests at once.
    redis_max_connections: int = 4

    @classmethod
    def from_env(cls) -> "Settings":
        prefix = check_key_prefix(env_str("RIG_KEY_PREFIX", cls.key_prefix), "RIG_KEY_PREFIX")
        return cls(
            redis_url=env_str("RIG_REDIS_URL", cls.redis_url),
            key_prefix=prefix,
            max_body_bytes=env_int("RIG_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
            redis_timeout_seconds=env_int("RIG_REDIS_TIMEOUT_MS", 2000) / 1000,
            redis_max_connections=requests_per_worker(),
        )
