"""Gunicorn settings for the API, from RIG_* environment variables.

RIG_BIND (127.0.0.1:8000), RIG_WORKER_CLASS (gevent | gthread | sync; default gevent),
RIG_WORKERS (default: CPU cores), RIG_THREADS (gthread only; default 4),
RIG_WORKER_CONNECTIONS (gevent only; default 1000), RIG_KEEPALIVE seconds (default 15: an idle
connection holds a worker connection slot this long, so a long keep-alive lets a crowd of
mostly idle clients starve the active ones; gevent workers also allow this long to read a
request's headers, so it must not be short either; see docs/seed-run.md), RIG_BACKLOG (listen
queue, default 2048; the kernel caps it at net.core.somaxconn), RIG_READ_TIMEOUT seconds a
request may pause while it is read (default 10; see app/gunicorn_hooks.py).

This file must not import the app package: the master would load redis and ssl before
gevent's workers monkey-patch them.
"""

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path


def _load_hooks():
    """app/gunicorn_hooks.py by file path: importing the app package here is not allowed."""
    path = Path(__file__).resolve().parent / "gunicorn_hooks.py"
    spec = importlib.util.spec_from_file_location("rig_gunicorn_hooks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


WORKER_CLASSES = ("gevent", "gthread", "sync")


def env_str(name: str, default: str) -> str:
    return os.environ.get(name) or default


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name) or str(default)
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise SystemExit(f"{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


worker_class = env_str("RIG_WORKER_CLASS", "gevent")
if worker_class not in WORKER_CLASSES:
    raise SystemExit(
        f"RIG_WORKER_CLASS must be one of {', '.join(WORKER_CLASSES)}, not {worker_class!r}"
    )

wsgi_app = "app.wsgi:app"
# The app package sits beside this file's folder, wherever the checkout is deployed.
pythonpath = str(Path(__file__).resolve().parent.parent)
bind = env_str("RIG_BIND", "127.0.0.1:8000").split(",")
workers = env_int("RIG_WORKERS", os.cpu_count() or 1)
threads = env_int("RIG_THREADS", 4)
worker_connections = env_int("RIG_WORKER_CONNECTIONS", 1000)
keepalive = env_int("RIG_KEEPALIVE", 15)
backlog = env_int("RIG_BACKLOG", 2048)
timeout = 30
graceful_timeout = 10
accesslog = None  # an access line per request costs more CPU than the request itself
errorlog = "-"
loglevel = env_str("RIG_LOG_LEVEL", "info")
proc_name = "rig-api"
# One shared control socket path would let two instances on a host step on each other.
control_socket_disable = True

# JSON instead of Gunicorn's HTML error pages, and a read timeout for slow or idle clients.
_hooks = _load_hooks()
_hooks.install_json_errors()
_read_timeout = env_int("RIG_READ_TIMEOUT", _hooks.DEFAULT_READ_TIMEOUT)


def post_worker_init(worker):
    _hooks.install_read_timeout(worker, _read_timeout)
    from app import metrics  # in the worker, after gevent patched it

    # Wraps the handler the read timeout installed: counts each connection it serves.
    metrics.watch_worker(worker)


def pre_request(worker, req):
    _hooks.reading_starts(req, _read_timeout)


def post_request(worker, req, environ, resp):
    _hooks.reading_ends(req)


# prometheus-client's multiprocess mode: every worker writes to files in this directory and
# /metrics adds them up. It must be set before workers import prometheus_client, and start
# empty, or counters of an earlier run would leak into this one.
_owns_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(prefix="rig-api-")
for _stale in Path(_metrics_dir).glob("*.db"):
    _stale.unlink()
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _owns_metrics_dir:
        shutil.rmtree(_metrics_dir, ignore_errors=True)
