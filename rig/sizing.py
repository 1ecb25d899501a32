"""Connection limits of the API sized for a crowd of users on this host (`rig local`).

Each Gunicorn gevent worker serves at most worker_connections connections at once; a
connection holds its slot while a request runs and then for the keep-alive time. A mostly
idle crowd that keeps its connections (clients other than the rig's users, which close when
they think longer than the keep-alive) can need a slot per user, so the slots are sized from
the users, within what the process may open; the listen queue is as long as the kernel
allows, so a spawn burst waits there instead of being dropped.

Granian's backpressure is the same kind of slot (a worker holds one permit per open connection,
idle keep-alive ones included, and stops accepting when they are taken), so it is sized the
same way; Granian refuses a listen backlog under 128.
"""

import math
import resource
from pathlib import Path

DEFAULT_WORKER_CONNECTIONS = 1000  # Gunicorn's and app/gunicorn.conf.py's default
DEFAULT_BACKLOG = 2048
GRANIAN_MIN_BACKLOG = 128  # app/granian_conf.py's MIN_BACKLOG: Granian refuses less
# The variable that holds each server's connection slots per worker.
SLOT_SETTING = {"gunicorn": "RIG_WORKER_CONNECTIONS", "granian": "RIG_BACKPRESSURE"}
# File descriptors a worker needs besides client connections: Redis pool, metrics files, logs.
FD_RESERVE = 256
SOMAXCONN = Path("/proc/sys/net/core/somaxconn")


def open_files_limit() -> int:
    """The soft limit of open files a process started from here inherits."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


def listen_backlog_limit(path: Path = SOMAXCONN) -> int:
    """net.core.somaxconn: the kernel cuts every listen backlog down to it."""
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return DEFAULT_BACKLOG


def worker_connections(users: int | None, workers: int, fd_limit: int) -> int:
    """Slots per worker: one per user when the crowd is spread over the workers, never fewer
    than the default and never more than the worker may hold open."""
    wanted = math.ceil((users or 0) / max(1, workers))
    ceiling = max(1, fd_limit - FD_RESERVE)
    return min(max(wanted, DEFAULT_WORKER_CONNECTIONS), ceiling)


def api_settings(
    users: int | None,
    workers: int,
    fd_limit: int | None = None,
    somaxconn: int | None = None,
    server: str = "gunicorn",
) -> dict[str, str]:
    """The connection slots per worker (RIG_WORKER_CONNECTIONS for Gunicorn, RIG_BACKPRESSURE
    for Granian) and RIG_BACKLOG for `users` over `workers` workers of `server`."""
    fd_limit = open_files_limit() if fd_limit is None else fd_limit
    somaxconn = listen_backlog_limit() if somaxconn is None else somaxconn
    floor = GRANIAN_MIN_BACKLOG if server == "granian" else 1
    return {
        SLOT_SETTING[server]: str(worker_connections(users, workers, fd_limit)),
        "RIG_BACKLOG": str(max(floor, somaxconn)),
    }
