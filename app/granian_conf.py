"""Granian settings for the API from RIG_* variables, and the launcher that applies them.

`python -m app.granian_conf [--name NAME]` serves app.wsgi:app with Granian's WSGI interface:
RIG_BIND (127.0.0.1:8000; one address), RIG_WORKERS (worker processes; default: CPU cores),
RIG_THREADS (Python threads per worker that run requests, Granian's blocking threads;
default 8), RIG_RUNTIME_THREADS (Rust I/O threads per worker; default 1), RIG_BACKPRESSURE
(connections a worker holds open at once, idle keep-alive ones included: its connection
slots; default Granian's: backlog / workers), RIG_BACKLOG (listen queue of each worker's socket,
at least 128, cut to net.core.somaxconn by the kernel; default 2048), RIG_KEEPALIVE (seconds an
idle keep-alive connection waits for its next request; default 75), RIG_LOG_LEVEL.
RIG_WORKER_CLASS and RIG_WORKER_CONNECTIONS are Gunicorn's and ignored here.

Granian's Prometheus exporter runs on a loopback port of its own; app/granian_gauges.py turns
it into the API's connection gauges (open connections against slots, listen queue).

The settings are checked before any worker starts: a bad one is one line and exit status 2.
"""

import argparse
import contextlib
import importlib.util
import multiprocessing
import os
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from app import granian_gauges

CONFIG_ERROR_EXIT = 2
GRACEFUL_SECONDS = 10  # as Gunicorn's graceful_timeout: in-flight requests get this long
BACKLOG = 2048
MIN_BACKLOG = 128  # Granian refuses a shorter listen queue
# Set by the launcher when it made the metrics directory itself (and so removes it at exit).
_OWNED_METRICS_DIR = "RIG_GRANIAN_OWNED_METRICS_DIR"
LOG_LEVELS = ("critical", "error", "warning", "warn", "info", "debug")


class ConfigError(ValueError):
    """A RIG_* setting Granian cannot run with."""


def _int(env: dict, name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name) or str(default)
    if not (raw.isascii() and raw.isdigit()) or int(raw) < minimum:
        raise ConfigError(f"{name} must be a whole number of at least {minimum}, not {raw!r}")
    return int(raw)


def _bind(raw: str) -> tuple[str, int]:
    if "," in raw:
        raise ConfigError(f"RIG_BIND: Granian listens on one address, not {raw!r}")
    host, sep, port = raw.strip().rpartition(":")
    if not sep or not host or not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
        raise ConfigError(f"RIG_BIND must be HOST:PORT (e.g. 127.0.0.1:8000), not {raw!r}")
    return host.strip("[]"), int(port)


@dataclass(frozen=True)
class GranianSettings:
    address: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    threads: int = 8
    runtime_threads: int = 1
    backpressure: int | None = None
    backlog: int = BACKLOG
    keepalive: int = 75
    log_level: str = "info"

    @classmethod
    def from_env(cls, env: dict) -> "GranianSettings":
        address, port = _bind(env.get("RIG_BIND") or "127.0.0.1:8000")
        log_level = (env.get("RIG_LOG_LEVEL") or "info").lower()
        if log_level not in LOG_LEVELS:
            raise ConfigError(f"RIG_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
        backpressure = env.get("RIG_BACKPRESSURE")
        return cls(
            address=address,
            port=port,
            workers=_int(env, "RIG_WORKERS", os.cpu_count() or 1),
            threads=_int(env, "RIG_THREADS", cls.threads),
            runtime_threads=_int(env, "RIG_RUNTIME_THREADS", cls.runtime_threads),
            backpressure=_int(env, "RIG_BACKPRESSURE", 1) if backpressure else None,
            backlog=_int(env, "RIG_BACKLOG", BACKLOG, MIN_BACKLOG),
            keepalive=_int(env, "RIG_KEEPALIVE", cls.keepalive),
            log_level="warn" if log_level == "warning" else log_level,
        )

    @property
    def concurrency(self) -> int:
        """Requests one worker runs at once: what its Redis connections must cover."""
        return self.threads

    @property
    def connection_slots(self) -> int:
        """Connections one worker holds open at once: Granian's backpressure, whose default is
        the listen backlog shared out over the workers."""
        return max(1, self.backpressure or self.backlog // self.workers)


def build_server(settings: GranianSettings, name: str | None = None, metrics_port: int = 0):
    """Granian's server object, with a dead worker's metric files cleaned after it exits."""
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels
    from granian.server import MPServer
    from prometheus_client import multiprocess

    class Server(MPServer):
        # Granian has no worker-exit hook; its per-worker watcher thread is the place that
        # sees every exit (crash, respawn, reload, stop). Pinned Granian version: see pyproject.
        def _spawn_worker(self, idx, target, callback_loader):
            worker = super()._spawn_worker(idx, target, callback_loader)
            watch = worker._watcher

            def watch_then_clean():
                watch()
                # At shutdown the launcher may remove the directory it made meanwhile.
                with contextlib.suppress(FileNotFoundError):
                    multiprocess.mark_process_dead(worker.inner.pid)

            worker._watcher = watch_then_clean
            return worker

        # Granian forks its workers (Python 3.11's default start method) after its IPC receivers,
        # Rust threads, started: a fork that copied a lock one of them held left the worker stuck
        # in serve() before it answered anything (3 starts in 853 here). So the first workers
        # are forked before any receiver runs (two forked workers on one core served 1.20 to
        # 1.26 times the requests per CPU-second of two spawned ones: they share the launcher's
        # pages), and every later one (a respawn after a crash or a reload) is spawned.
        def _start_ipc(self):
            enabled, self.metrics_enabled = self.metrics_enabled, False
            try:
                super()._start_ipc()  # the pipes only, no receiver yet
            finally:
                self.metrics_enabled = enabled

        def _spawn_workers(self, spawn_target, target_loader):
            super()._spawn_workers(spawn_target, target_loader)
            multiprocessing.set_start_method("spawn", force=True)
            if self.metrics_enabled:
                for receiver, *_pipe in self._ipc.values():
                    receiver.run(self._ipc_sig, self._metrics)

    return Server(
        "app.wsgi:app",
        address=settings.address,
        port=settings.port,
        interface=Interfaces.WSGI,
        workers=settings.workers,
        blocking_threads=settings.threads,
        runtime_threads=settings.runtime_threads,
        backpressure=settings.connection_slots,
        backlog=settings.backlog,
        http=HTTPModes.http1,
        http1_settings=HTTP1Settings(header_read_timeout=settings.keepalive * 1000),
        log_level=LogLevels(settings.log_level),
        log_access=False,  # an access line per request costs more CPU than the request itself
        respawn_failed_workers=True,  # as Gunicorn: a worker that dies is replaced
        workers_kill_timeout=GRACEFUL_SECONDS,
        process_name=name,
        metrics_enabled=bool(metrics_port),
        metrics_scrape_interval=1,  # Granian's shortest: the gauges are sampled every second
        metrics_address="127.0.0.1",
        metrics_port=metrics_port,
    )


def _reexec_with_metrics_dir(argv: list[str]) -> None:
    """prometheus-client picks multiprocess mode when first imported (here: by the app package,
    before this module runs), so the directory must be in the environment at start-up."""
    metrics_dir = tempfile.mkdtemp(prefix="rig-api-")
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": metrics_dir, _OWNED_METRICS_DIR: metrics_dir}
    os.execve(sys.executable, [sys.executable, "-m", "app.granian_conf", *argv], env)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m app.granian_conf", description=__doc__)
    parser.add_argument("--name", help="process title (with setproctitle) and tag in ps")
    args = parser.parse_args(argv)
    metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not metrics_dir:
        _reexec_with_metrics_dir(argv)
    try:
        settings = GranianSettings.from_env(os.environ)
        from app.config import Settings

        Settings.from_env()  # the app's own settings, checked once here rather than per worker
    except ValueError as exc:
        print(f"rig-api: configuration error: {exc}", file=sys.stderr)
        return CONFIG_ERROR_EXIT
    # Counters of an earlier run must not leak into this one. This process's own files are new
    # (the app package made them at import) and stay: the launcher writes connection gauges.
    for stale in Path(metrics_dir).glob("*.db"):
        if not stale.stem.endswith(f"_{os.getpid()}"):
            stale.unlink()
    exporter_port = granian_gauges.free_loopback_port()
    server = build_server(
        settings, name=args.name if _has_setproctitle() else None, metrics_port=exporter_port
    )
    _watch_connections(server, settings, exporter_port)
    if os.environ.get(_OWNED_METRICS_DIR) == metrics_dir:
        server.on_shutdown(lambda: shutil.rmtree(metrics_dir, ignore_errors=True))
    server.serve()
    return 0


def _watch_connections(server, settings: GranianSettings, exporter_port: int) -> None:
    """The connection gauges: the launcher samples Granian's exporter, each worker its own
    listening socket (the port reaches the workers through their environment)."""
    from prometheus_client import multiprocess

    os.environ[granian_gauges.LISTEN_PORT_ENV] = str(settings.port)
    stop = threading.Event()
    slots = settings.connection_slots * settings.workers
    url = f"http://127.0.0.1:{exporter_port}/"
    server.on_startup(lambda: granian_gauges.watch_server(url, slots, stop))
    server.on_shutdown(stop.set)
    server.on_shutdown(lambda: multiprocess.mark_process_dead(os.getpid()))


def _has_setproctitle() -> bool:
    """Granian sets process titles only with setproctitle (not a dependency of the API);
    without it the name stays visible in the command lines of the launcher and the workers it
    forks (a respawned worker is spawned, with multiprocessing's command line)."""
    return importlib.util.find_spec("setproctitle") is not None


if __name__ == "__main__":
    sys.exit(main())
