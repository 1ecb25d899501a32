"""Starts the API under Gunicorn with app/gunicorn.conf.py (`rig serve`, tests, `rig local`)."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from rig import processes
from rig.paths import GUNICORN_CONF, REPO_ROOT
from rig.ports import free_port, http_ok, wait_until


def gunicorn_argv() -> list[str]:
    return [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF), "app.wsgi:app"]


def gunicorn_env(
    redis_url: str, bind: str, overrides: dict[str, str] | None = None
) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"RIG_REDIS_URL": redis_url, "RIG_BIND": bind})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.update(overrides or {})
    return env


@dataclass
class RunningApi:
    port: int
    process: subprocess.Popen

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
    name: str | None = None,
    ready_path: str = "/healthz",
) -> RunningApi:
    """Start Gunicorn and wait until `ready_path` answers; `settings` are extra RIG_* variables.

    `name` becomes Gunicorn's --name (its processes' title), so process-exporter can tell
    this API from others on the box.
    """
    port = port or free_port()
    env = gunicorn_env(redis_url, f"127.0.0.1:{port}", settings)
    argv = [*gunicorn_argv(), *(["--name", name] if name else [])]
    process = processes.spawn(argv, env=env, log_path=log_path, cwd=REPO_ROOT)
    try:
        wait_until(
            lambda: http_ok(f"http://127.0.0.1:{port}{ready_path}"),
            timeout,
            f"the API (gunicorn on port {port})",
            alive=lambda: process.poll() is None,
        )
    except (RuntimeError, TimeoutError):
        processes.stop(process)
        raise
    return RunningApi(port, process)
