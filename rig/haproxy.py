"""HAProxy in front of N local API instances (`rig local --app-instances N`, tests, benches).

The configuration is the haproxy role's own template (roles/haproxy/templates/haproxy.cfg.j2),
rendered with the role's defaults and loopback addresses, so the one-box bench and the lab
balance, check (/readyz) and keep connections alive the same way. HAProxy runs in the
foreground (-db) in its own process group; its built-in Prometheus exporter answers on
the stats port's /metrics.
"""

import resource
import shutil
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import jinja2
import yaml

from rig import processes
from rig.errors import RigError
from rig.paths import REPO_ROOT
from rig.ports import free_port, wait_until

ROLE_DIR = REPO_ROOT / "roles" / "haproxy"
INSTALL_HINT = "install Debian's haproxy (apt-get install haproxy)"


@dataclass(frozen=True)
class Backend:
    name: str
    address: str
    port: int


def binary() -> Path:
    found = shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/sbin/haproxy") if Path(p).is_file()), None
    )
    if found is None:
        raise RigError(f"haproxy not found; {INSTALL_HINT}")
    return Path(found)


def role_defaults() -> dict:
    return yaml.safe_load((ROLE_DIR / "defaults" / "main.yml").read_text())


def local_maxconn(wanted: int) -> int:
    """HAProxy needs about two descriptors per connection and refuses to start when it cannot
    raise its limit that far; stay inside this machine's hard limit."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY:
        return wanted
    return max(256, min(wanted, (hard - 200) // 2))


def render_config(backends: list[Backend], port: int, stats_port: int, **overrides) -> str:
    """haproxy.cfg for `backends` on loopback; `overrides` replace role defaults (haproxy_*)."""
    if not backends:
        raise RigError("HAProxy needs at least one backend")
    variables = {
        **role_defaults(),
        "haproxy_bind_address": "127.0.0.1",
        "haproxy_stats_bind_address": "127.0.0.1",
        "haproxy_port": port,
        "haproxy_stats_port": stats_port,
        "haproxy_backends": [vars(backend) for backend in backends],
        "haproxy_managed_by": "Written by rig local",
        "haproxy_maxconn": local_maxconn(role_defaults()["haproxy_maxconn"]),
        **overrides,
    }
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(ROLE_DIR / "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,  # as Ansible renders templates
    )
    return environment.get_template("haproxy.cfg.j2").render(**variables)


@dataclass
class RunningHaproxy:
    port: int
    stats_port: int
    process: subprocess.Popen
    config_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.stats_port}/metrics"

    def stop(self) -> None:
        processes.stop(self.process)


def check_config(path: Path) -> None:
    done = subprocess.run(
        [str(binary()), "-c", "-q", "-f", str(path)], capture_output=True, text=True, timeout=30
    )
    if done.returncode != 0:
        raise RigError(f"HAProxy rejected {path}: {(done.stderr or done.stdout).strip()}")


def start(
    backends: list[Backend],
    workdir: Path,
    port: int | None = None,
    stats_port: int | None = None,
    log_path: Path | None = None,
    timeout: float = 30.0,
    **overrides,
) -> RunningHaproxy:
    """Start HAProxy and wait until every backend passed its /readyz check."""
    port = port or free_port()
    stats_port = stats_port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "haproxy.cfg"
    config_path.write_text(render_config(backends, port, stats_port, **overrides))
    check_config(config_path)
    process = processes.spawn([str(binary()), "-db", "-f", str(config_path)], log_path=log_path)
    running = RunningHaproxy(port, stats_port, process, config_path)
    try:
        wait_until(
            lambda: backends_up(running.metrics_url) == len(backends),
            timeout,
            f"HAProxy on port {port} with {len(backends)} backend(s) up",
            alive=lambda: process.poll() is None,
        )
    except (RuntimeError, TimeoutError) as exc:
        running.stop()
        raise RigError(str(exc)) from exc
    except BaseException:
        running.stop()
        raise
    return running


def backends_up(metrics_url: str) -> int:
    """How many servers of backend `app` HAProxy currently reports UP (0 when unreachable)."""
    try:
        with urllib.request.urlopen(metrics_url, timeout=2) as response:
            text = response.read().decode()
    except (urllib.error.URLError, OSError):
        return 0
    return sum(
        1
        for line in text.splitlines()
        if line.startswith('haproxy_server_status{proxy="app"')
        and 'state="UP"' in line
        and line.rstrip().endswith(" 1")
    )
