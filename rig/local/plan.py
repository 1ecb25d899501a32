"""What one `rig local` run will do, fixed and checked before anything starts."""

import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from loadgen import runner
from rig import redis_cluster, scaleout
from rig.errors import RigError
from rig.local import cpu_split, own
from rig.paths import DEFAULT_RESULTS_DIR
from rundir.files import LOGS_DIR
from rundir.timespan import parse_duration


@dataclass
class LocalOptions:
    scenario: str | None = own.DEFAULT_SCENARIO  # None: a --locustfile alone, no conf
    run_time: str | None = None
    users: int | None = None
    spawn_rate: float | None = None
    workers: int = 4
    results_dir: Path = DEFAULT_RESULTS_DIR
    prometheus: bool = True  # False: skip Prometheus and exporters, sample with psutil
    server: str = "gunicorn"  # or granian (rig.serve.SERVERS)
    worker_class: str = "gevent"  # Gunicorn's; Granian has none
    app_workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    threads: int = 4
    keep_tsdb: bool = False
    app_instances: int = 1  # more than one: HAProxy in front of them (rig/scaleout.py)
    redis_cluster: int = 0  # primaries of a local Redis Cluster; 0: one Redis
    cpus_loadgen: str | None = None  # e.g. "1"; with cpus_service None: an automatic split
    cpus_service: str | None = None
    cpu_split: bool = True  # False: everything shares every CPU
    arrival_rate: float | None = None  # open model: requests per second (the scenario's if None)
    target: str | None = None  # a service the rig did not start: no bundled API or Redis
    locustfile: Path | None = None  # the user's locustfile, the rig's plugins beside it
    redis_url: str | None = None  # the target's Redis, watched read-only
    web: bool = False  # Locust's web UI: the run starts and stops in the browser
    canary: bool = False  # the canary (rig/canary.py) before the load: canary.json


@dataclass
class Plan:
    opts: LocalOptions
    settings: dict[str, str]  # the scenario's conf
    run_time: str | None
    total: int | None  # seconds of load, when the run has a run time
    run_id: str
    path: Path
    name: str  # the scenario, or the locustfile's name when it runs without one
    cpus: cpu_split.CpuSplit  # which CPUs Locust and the service under test get

    @property
    def logs(self) -> Path:
        return self.path / LOGS_DIR

    @property
    def work(self) -> Path:
        return self.path / "prometheus"


def plan(opts: LocalOptions) -> Plan:
    """RigError for a scenario, run time or count the run could not use."""
    own.check_options(opts)  # --target, --locustfile, --redis-url
    # RigError names the known scenarios.
    settings = runner.scenario_settings(opts.scenario) if opts.scenario else {}
    run_time = opts.run_time or settings.get("run-time")
    total = parse_duration(run_time) if run_time else None
    if opts.workers < 1:
        raise RigError("--workers must be at least 1")
    if opts.users is not None and opts.users < 1:
        raise RigError("--users must be at least 1")
    if opts.spawn_rate is not None and opts.spawn_rate <= 0:
        raise RigError("--spawn-rate must be above 0")
    scaleout.check_instances(opts.app_instances)
    if opts.redis_cluster:
        redis_cluster.slot_ranges(opts.redis_cluster)  # RigError for an impossible count
    if opts.arrival_rate is not None and not 0 < opts.arrival_rate < float("inf"):
        raise RigError("--arrival-rate must be a number of requests per second above 0")
    name = (
        runner.scenario_name(opts.scenario)
        if opts.scenario
        else re.sub(r"[^A-Za-z0-9_.-]", "_", opts.locustfile.stem)
    )
    run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{name}"
    path = Path(opts.results_dir).resolve() / run_id
    if path.exists():
        raise RigError(f"{path} already exists; wait a second and run again")
    cpus = cpu_split.choose(opts.cpus_loadgen, opts.cpus_service, opts.cpu_split)
    return Plan(opts, settings, run_time, total, run_id, path, name, cpus)
