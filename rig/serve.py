"""Starts the API under Gunicorn or Granian (`rig serve`, tests, `rig local`, benchmarks).

The server is RIG_SERVER (gunicorn, the default, or granian) unless a caller names one.
Gunicorn reads app/gunicorn.conf.py, Granian app/granian_conf.py; both take the same RIG_*
settings (bind, workers, threads) and serve the same app.wsgi:app.
"""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from rig import processes
from rig.errors import RigError
from rig.paths import REPO_ROOT
from rig.ports import free_port, http_ok, wait_until

SERVERS = ("gunicorn", "granian")
DEFAULT_SERVER = "gunicorn"


def chosen_server(server: str | None = None) -> str:
    """`server`, else RIG_SERVER, else Gunicorn; RigError for anything else."""
    name = (server or os.environ.get("RIG_SERVER") or DEFAULT_SERVER).strip().lower()
    if name not in SERVERS:
        raise RigError(f"the API server must be one of {', '.join(SERVERS)}, not {name!r}")
    return name


def server_argv(
    server: str | None = None,
    name: str | None = None,
    root: Path = REPO_ROOT,
    python: str | None = None,
) -> list[str]:
    """The command line of the server; `name` tags its processes (process-exporter groups);
    `root` is the checkout whose app it serves and `python` the interpreter (default: this
    one); benchmarks compare two versions or two interpreters with them."""
    python = python or sys.executable
    if chosen_server(server) == "granian":
        argv = [python, "-m", "app.granian_conf"]
    else:
        conf = root / "app" / "gunicorn.conf.py"
        argv = [python, "-m", "gunicorn", "--config", str(conf), "app.wsgi:app"]
    return [*argv, "--name", name] if name else argv


def server_env(
    redis_url: str,
    bind: str,
    overrides: dict[str, str] | None = None,
    server: str | None = None,
    root: Path = REPO_ROOT,
) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"RIG_REDIS_URL": redis_url, "RIG_BIND": bind, "RIG_SERVER": chosen_server(server)})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    env.update(overrides or {})
    return env


def gunicorn_argv() -> list[str]:
    return server_argv("gunicorn")


def gunicorn_env(
    redis_url: str, bind: str, overrides: dict[str, str] | None = None
) -> dict[str, str]:
    return server_env(redis_url, bind, overrides, "gunicorn")


@dataclass
class RunningApi:
    port: int
    process: subprocess.Popen
    server: str = DEFAULT_SERVER

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        processes.stop(self.process)


def start(
    redis_url: str,
    port: int | None = None,
    settings: dict[str, str] | None = None,
    log_path: Path | None = None,
    timeout: float = 30.0,
    server: str | None = None,
    name: str | None = None,
    ready_path: str = "/healthz",
    root: Path = REPO_ROOT,
    python: str | None = None,
) -> RunningApi:
    """Start the API and wait until `ready_path` answers; `settings` are extra RIG_* variables;
    `root` is the checkout whose app to serve, `python` the interpreter (default: this one)."""
    server = chosen_server(server)
    port = port or free_port()
    env = server_env(redis_url, f"127.0.0.1:{port}", settings, server, root)
    argv = server_argv(server, name, root, python)
    process = processes.spawn(argv, env=env, log_path=log_path, cwd=root)
    try:
        wait_until(
            lambda: http_ok(f"http://127.0.0.1:{port}{ready_path}"),
            timeout,
            f"the API ({server} on port {port})",
            alive=lambda: process.poll() is None,
        )
    except (RuntimeError, TimeoutError):
        processes.stop(process)
        raise
    return RunningApi(port, process, server)
