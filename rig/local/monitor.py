"""Prometheus and its exporters from Debian's packages for `rig local`, on free loopback ports.

Jobs and the `instance` label follow the lab's Prometheus (roles/prometheus): jobs node,
redis, process, app, locust; every target of this box is labelled instance="local".
"""

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from rig import processes
from rig.errors import RigError
from rig.ports import free_port, http_ok, wait_until

PROMETHEUS = "prometheus"
NODE_EXPORTER = "prometheus-node-exporter"
REDIS_EXPORTER = "prometheus-redis-exporter"
PROCESS_EXPORTER = "prometheus-process-exporter"
# Without these two there are no host figures at all; the other exporters only add detail.
REQUIRED = (PROMETHEUS, NODE_EXPORTER)
INSTANCE = "local"
SCRAPE_INTERVAL = 2  # seconds: a one-minute run still gets 30 points per series

# What the report needs, and nothing that fails without systemd/udev in a VM or container.
NODE_COLLECTORS = ("cpu", "meminfo", "loadavg", "netdev", "diskstats", "filesystem", "stat")


def missing_binaries() -> list[str]:
    return [name for name in REQUIRED if shutil.which(name) is None]


@dataclass
class ProcessGroups:
    """How process-exporter tells this run's processes from anyone else's on the box."""

    api_name: str | None  # Gunicorn's --name, in the master's and workers' command lines
    redis_port: int | None  # None: a service the rig did not start (rig local --target)
    locust_master_port: int

    def config(self) -> dict:
        port = self.locust_master_port
        groups = []
        if self.api_name:
            groups.append({"name": "api", "cmdline": [re.escape(self.api_name)]})
        if self.redis_port:
            groups.append(
                {
                    "name": "redis",
                    "comm": ["redis-server", "valkey-server"],
                    "cmdline": [rf":{self.redis_port}\b"],
                }
            )
        # The master binds the port, the workers connect to it.
        groups.append({"name": "locust", "cmdline": [rf"--master(-bind)?-port {port}\b"]})
        return {"process_names": groups}


@dataclass
class Monitoring:
    """The running Prometheus (url) and exporters; stop() ends them all."""

    url: str
    scrape_interval: int
    targets: dict[str, str]
    missing: list[str]
    procs: list[subprocess.Popen] = field(default_factory=list)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            processes.stop(proc)


def _start_exporter(
    argv: list[str],
    port: int,
    log: Path,
    what: str,
    procs: list[subprocess.Popen],
    env: dict[str, str] | None = None,
) -> str:
    proc = processes.spawn(argv, log_path=log, env=env)
    procs.append(proc)
    _wait(lambda: http_ok(f"http://127.0.0.1:{port}/metrics", timeout=2.0), what, proc, log)
    return f"127.0.0.1:{port}"


def _wait(probe, what: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    try:
        wait_until(probe, timeout, what, alive=lambda: proc.poll() is None)
    except (RuntimeError, TimeoutError) as exc:
        raise RigError(f"{exc}; see {log}") from None


def prometheus_config(targets: dict[str, str], scrape_interval: int) -> dict:
    jobs = [
        {
            "job_name": job,
            "static_configs": [{"targets": [address], "labels": {"instance": INSTANCE}}],
        }
        for job, address in targets.items()
    ]
    return {
        "global": {
            "scrape_interval": f"{scrape_interval}s",
            "scrape_timeout": f"{scrape_interval}s",
            "evaluation_interval": f"{scrape_interval}s",
        },
        "scrape_configs": jobs,
    }


def start(
    work_dir: Path,
    log_dir: Path,
    redis_url: str | None,
    api_address: str | None,
    locust_address: str,
    groups: ProcessGroups,
    scrape_interval: int = SCRAPE_INTERVAL,
) -> Monitoring:
    """Start the exporters that are installed, then Prometheus scraping them and the rig.

    No `redis_url`: no Redis to watch; no `api_address`: the service has no /metrics of ours.
    """
    absent = missing_binaries()
    if absent:
        raise RigError(f"not installed: {', '.join(absent)}")
    work_dir.mkdir(parents=True, exist_ok=True)
    procs: list[subprocess.Popen] = []
    targets: dict[str, str] = {}
    missing: list[str] = []
    try:
        port = free_port()
        collectors = [f"--collector.{name}" for name in NODE_COLLECTORS]
        targets["node"] = _start_exporter(
            [shutil.which(NODE_EXPORTER), f"--web.listen-address=127.0.0.1:{port}",
             "--collector.disable-defaults", *collectors,
             "--collector.netdev.device-exclude=^$"],  # keep lo: all of the rig's traffic
            port, log_dir / "node_exporter.log", "prometheus-node-exporter", procs,
        )  # fmt: skip
        if redis_url and shutil.which(REDIS_EXPORTER):
            port = free_port()
            # The address goes in the environment: a password in it stays out of `ps`.
            targets["redis"] = _start_exporter(
                [shutil.which(REDIS_EXPORTER), "-web.listen-address", f"127.0.0.1:{port}"],
                port, log_dir / "redis_exporter.log", "prometheus-redis-exporter", procs,
                env={**os.environ, "REDIS_ADDR": redis_url},
            )  # fmt: skip
        elif redis_url:
            missing.append(REDIS_EXPORTER)
        if shutil.which(PROCESS_EXPORTER):
            port = free_port()
            config = work_dir / "process-exporter.yml"
            config.write_text(yaml.safe_dump(groups.config(), sort_keys=False))
            targets["process"] = _start_exporter(
                [shutil.which(PROCESS_EXPORTER), "-web.listen-address", f"127.0.0.1:{port}",
                 "-config.path", str(config), "-gather-smaps=false", "-threads=false"],
                port, log_dir / "process_exporter.log", "prometheus-process-exporter", procs,
            )  # fmt: skip
        else:
            missing.append(PROCESS_EXPORTER)
        if api_address:
            targets["app"] = api_address
        targets["locust"] = locust_address

        port = free_port()
        config = work_dir / "prometheus.yml"
        config.write_text(yaml.safe_dump(prometheus_config(targets, scrape_interval)))
        prom_log = log_dir / "prometheus.log"
        prom = processes.spawn(
            [
                shutil.which(PROMETHEUS),
                f"--config.file={config}",
                f"--web.listen-address=127.0.0.1:{port}",
                f"--storage.tsdb.path={work_dir / 'tsdb'}",
                "--storage.tsdb.retention.time=1d",
                "--log.level=warn",
            ],
            log_path=prom_log,
        )
        procs.append(prom)
        url = f"http://127.0.0.1:{port}"
        _wait(lambda: http_ok(f"{url}/-/ready", timeout=2.0), "prometheus", prom, prom_log)
    except BaseException:
        for proc in reversed(procs):
            processes.stop(proc)
        raise
    return Monitoring(url, scrape_interval, targets, missing, procs)
