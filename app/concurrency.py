"""How many requests one worker process serves at once, per HTTP server: its Redis pool's size.

One place for every server: a server added to the rig adds its entry to SERVERS, with the same
RIG_* settings and defaults its own configuration file reads. RIG_REDIS_MAX_CONNECTIONS
overrides the result (a Redis with a low maxclients, many workers).
"""

import os
from collections.abc import Callable, Mapping

DEFAULT_SERVER = "gunicorn"


def _setting(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name) or str(default)
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


def _gunicorn(env: Mapping[str, str]) -> int:
    """app/gunicorn.conf.py: a greenlet (gevent) or a thread (gthread, sync) per request.

    Gunicorn runs a sync worker with more than one thread as gthread, and
    gunicorn.conf.py's RIG_THREADS default is 4 for every class: so sync means threads too.
    """
    worker_class = env.get("RIG_WORKER_CLASS") or "gevent"
    if worker_class == "gevent":
        return _setting(env, "RIG_WORKER_CONNECTIONS", 1000)
    return _setting(env, "RIG_THREADS", 4)


def _granian(env: Mapping[str, str]) -> int:
    """Granian's WSGI workers run requests on RIG_THREADS blocking threads (default 8)."""
    return _setting(env, "RIG_THREADS", 8)


SERVERS: dict[str, Callable[[Mapping[str, str]], int]] = {
    "gunicorn": _gunicorn,
    "granian": _granian,
}


def requests_per_worker(env: Mapping[str, str] | None = None) -> int:
    """Requests one worker process can have in flight at once (so: Redis connections it needs)."""
    env = os.environ if env is None else env
    if env.get("RIG_REDIS_MAX_CONNECTIONS"):
        return _setting(env, "RIG_REDIS_MAX_CONNECTIONS", 1)
    server = (env.get("RIG_SERVER") or DEFAULT_SERVER).strip().lower()
    if server not in SERVERS:
        raise ValueError(f"RIG_SERVER must be one of {', '.join(SERVERS)}, not {server!r}")
    return SERVERS[server](env)
