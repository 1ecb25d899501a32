"""`rig local`: the whole bench on one box, then its report; stops all it started, come what may."""

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from loadgen import documents, runner
from reports import build
from rig import (
    api_metrics,
    local_monitor,
    local_sampler,
    processes,
    redis_server,
    serve,
    sizing,
)
from rig.errors import RigError
from rig.local_progress import Progress
from rig.paths import DEFAULT_RESULTS_DIR, REPO_ROOT
from rig.ports import free_port, http_ok, wait_until
from rundir import files, fingerprint, runinfo

HOST = "local"
ROLES = ["redis", "app", "locust", "prometheus"]
SLO_FAILED_EXIT = 3  # the same code the Locust master uses for missed SLO gates
LOCUST_FAILED_EXIT = 2  # Locust itself failed; the report is still written from what it left
LOCUST_OK_CODES = (0, 1, SLO_FAILED_EXIT)  # 1: some requests failed, which the report shows
# Beyond --run-time: worker start-up, seeding before the clock starts, stopping users.
GRACE_SECONDS = 180
NO_RUN_TIME_LIMIT = 3600  # shape-driven scenarios (no run-time) end themselves; bound them anyway


@dataclass
class LocalOptions:
    scenario: str = "post_15k"
    run_time: str | None = None
    users: int | None = None
    spawn_rate: float | None = None
    workers: int = 4
    results_dir: Path = DEFAULT_RESULTS_DIR
    prometheus: bool = True  # False: skip Prometheus and exporters, sample with psutil
    worker_class: str = "gevent"
    app_workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    threads: int = 4
    keep_tsdb: bool = False


@dataclass
class LocalResult:
    run_dir: Path
    summary: Path
    verdicts: dict
    exit_code: int


def parse_duration(text: str) -> int:
    """Locust's run-time syntax (90, 90s, 1m30s, 1h) in seconds; RigError when malformed."""
    text = str(text).strip()
    if text.isdigit():
        return int(text)
    match = re.fullmatch(r"(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?", text)
    if not text or not match:
        raise RigError(f"run time {text!r} is not like 90, 90s, 1m30s or 1h")
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def api_settings(opts: LocalOptions, users: int | None) -> dict[str, str]:
    """The API's RIG_* settings: the options, and connection slots sized for the crowd
    (rig/sizing.py) unless the environment sets them."""
    settings = {
        "RIG_WORKER_CLASS": opts.worker_class,
        "RIG_WORKERS": str(opts.app_workers),
        "RIG_THREADS": str(opts.threads),
    }
    sized = sizing.api_settings(users, opts.app_workers)
    settings.update({k: os.environ.get(k) or v for k, v in sized.items()})
    return settings


def _start_api(settings: dict[str, str], redis_url: str, name: str, log: Path) -> serve.RunningApi:
    """Gunicorn as serve.start() runs it, plus --name so process-exporter can tell it apart."""
    port = free_port()
    env = serve.gunicorn_env(redis_url, f"127.0.0.1:{port}", settings)
    proc = processes.spawn(
        [*serve.gunicorn_argv(), "--name", name], env=env, log_path=log, cwd=REPO_ROOT
    )
    try:
        wait_until(
            lambda: http_ok(f"http://127.0.0.1:{port}/readyz"),
            60,
            f"the API (gunicorn on port {port}, log {log})",
            alive=lambda: proc.poll() is None,
        )
    except (RuntimeError, TimeoutError) as exc:
        processes.stop(proc)
        raise RigError(f"{exc}; see {log}") from None
    return serve.RunningApi(port, proc)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


@dataclass
class _Plan:
    """What one run will do, fixed before anything starts."""

    opts: LocalOptions
    settings: dict[str, str]
    run_time: str | None
    total: int | None
    run_id: str
    path: Path

    @property
    def logs(self) -> Path:
        return self.path / "logs"

    @property
    def work(self) -> Path:
        return self.path / "prometheus"


def plan(opts: LocalOptions) -> _Plan:
    settings = runner.scenario_settings(opts.scenario)  # RigError names the known scenarios
    run_time = opts.run_time or settings.get("run-time")
    total = parse_duration(run_time) if run_time else None
    if opts.workers < 1:
        raise RigError("--workers must be at least 1")
    if opts.users is not None and opts.users < 1:
        raise RigError("--users must be at least 1")
    if opts.spawn_rate is not None and opts.spawn_rate <= 0:
        raise RigError("--spawn-rate must be above 0")
    run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{runner.scenario_name(opts.scenario)}"
    path = Path(opts.results_dir).resolve() / run_id
    if path.exists():
        raise RigError(f"{path} already exists; wait a second and run again")
    return _Plan(opts, settings, run_time, total, run_id, path)


def run(opts: LocalOptions, out: TextIO = sys.stdout) -> LocalResult:
    """Run the bench and build the report; RigError for anything the user can fix."""
    the_plan = plan(opts)
    the_plan.logs.mkdir(parents=True)

    # SIGTERM (systemd, CI timeouts) unwinds like Ctrl-C, so every started process is stopped.
    def _terminate(_signum, _frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        with contextlib.ExitStack() as stack:
            return _Bench(the_plan, out, stack).run()
    finally:
        signal.signal(signal.SIGTERM, previous)
        if not opts.keep_tsdb:
            shutil.rmtree(the_plan.work / "tsdb", ignore_errors=True)
        shutil.rmtree(the_plan.work / "api-metrics", ignore_errors=True)


class _Bench:
    """One run's processes; each one started registers its stop on the exit stack at once."""

    def __init__(self, the_plan: _Plan, out: TextIO, stack: contextlib.ExitStack):
        self.plan = the_plan
        self.opts = the_plan.opts
        self.out = out
        self.stack = stack
        self.master: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.monitoring: local_monitor.Monitoring | None = None
        self.sampler: local_sampler.Sampler | None = None
        self.locust_metrics_port = free_port()
        self.master_port = free_port()

    def say(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()

    def run(self) -> LocalResult:
        p = self.plan
        self.say(f"run {p.run_id}: results in {p.path}")
        self.db = redis_server.start(log_path=p.logs / "redis.log")
        self.stack.callback(self.db.stop)
        self.api_name = f"rig-api-{p.run_id}"
        users = self.opts.users or runinfo.number(p.settings.get("users"))
        self.api_settings = api_settings(self.opts, users if isinstance(users, int) else None)
        # Scraped from the files, not from the API, whose slots a crowd may fill (api_metrics).
        self.api_metrics = api_metrics.serve(p.work / "api-metrics")
        self.stack.callback(self.api_metrics.stop)
        env = {**self.api_settings, "PROMETHEUS_MULTIPROC_DIR": str(self.api_metrics.directory)}
        self.api = _start_api(env, self.db.url, self.api_name, p.logs / "api.log")
        self.stack.callback(self.api.stop)
        self.say(f"Redis {self.db.url} ({self.db.binary.name}), API {self.api.url}")
        self.stack.callback(self._stop_locust)
        self._start_monitoring()
        launched, finished = self._run_locust()
        incidents = self._incidents()
        for line in incidents:
            self.say(f"note: {line}")
        if self.monitoring:
            time.sleep(self.monitoring.scrape_interval + 1)  # the scrape covering the last second
        if self.sampler:
            self.sampler.stop()
        run_info(
            p,
            launched,
            finished,
            target=self.api.url,
            locust_exit_code=self.master.returncode if self.master else None,
            monitoring=self._monitoring_facts(),
            versions=fingerprint.versions(self.db.url),
            incidents=incidents,
            api_settings=self.api_settings,
        ).write(p.path)
        url = self.monitoring.url if self.monitoring else None
        report = build.build(p.path, url, p.path.parent)
        slo = report.verdicts["slo"]
        reasons = "".join(f"\n  suspect: {r}" for r in report.verdicts["validity_reasons"])
        self.say(f"SLO {slo}, run {report.verdicts['validity']}{reasons}")
        for line in report.verdicts.get("bottleneck", []):
            self.say(f"bottleneck: {line}")
        code = SLO_FAILED_EXIT if slo == "FAIL" else 0
        if self.master and self.master.returncode not in LOCUST_OK_CODES:
            code = LOCUST_FAILED_EXIT
        return LocalResult(p.path, report.summary, report.verdicts, code)

    def _start_monitoring(self) -> None:
        absent = local_monitor.missing_binaries()
        if self.opts.prometheus and not absent:
            groups = local_monitor.ProcessGroups(self.api_name, self.db.port, self.master_port)
            self.monitoring = local_monitor.start(
                self.plan.work,
                self.plan.logs,
                self.db.url,
                self.api_metrics.address,
                f"127.0.0.1:{self.locust_metrics_port}",
                groups,
            )
            self.stack.callback(self.monitoring.stop)
            targets = ", ".join(self.monitoring.targets)
            self.say(f"Prometheus {self.monitoring.url} scraping {targets}")
            for name in self.monitoring.missing:
                self.say(f"note: {name} is not installed; its figures will be missing")
            return
        why = (
            "--no-prometheus" if not self.opts.prometheus else "not installed: " + ", ".join(absent)
        )
        self.say(f"no Prometheus ({why}): sampling host and processes with psutil")
        self.sampler = local_sampler.Sampler(
            self.plan.path,
            groups={
                "api": lambda: [self.api.process.pid],
                "redis": lambda: [self.db.process.pid],
                "locust": lambda: [p.pid for p in [self.master, *self.workers] if p],
            },
            workers=lambda: [p.pid for p in self.workers],
            redis_url=self.db.url,
        )
        self.sampler.start()
        self.stack.callback(self.sampler.stop)

    def _incidents(self) -> list[str]:
        """Servers that died under load: the figures then measure errors, not the service."""
        found = []
        for name, proc, log in (
            ("the API (Gunicorn)", self.api.process, "api.log"),
            ("Redis", self.db.process, "redis.log"),
        ):
            code = proc.poll()
            if code is not None:
                found.append(f"{name} exited during the run (code {code}); see logs/{log}")
        if self.master and self.master.returncode not in LOCUST_OK_CODES:
            code = self.master.returncode
            found.append(f"the Locust master failed (code {code}); see logs/locust_master.log")
        return found

    def _stop_locust(self) -> None:
        for proc in [*self.workers, self.master]:
            if proc is not None:
                processes.stop(proc)

    def _run_locust(self) -> tuple[float, float]:
        p, env = self.plan, _child_env()
        argv = runner.master_argv(
            self.opts.scenario,
            self.api.url,
            p.path,
            self.opts.workers,
            run_time=p.run_time,
            users=self.opts.users,
            spawn_rate=self.opts.spawn_rate,
            prometheus_port=self.locust_metrics_port,
            master_bind_port=self.master_port,
        )
        master_log = p.logs / "locust_master.log"
        launched = time.time()
        self.master = processes.spawn(argv, env=env, log_path=master_log, cwd=REPO_ROOT)
        worker_argv = runner.worker_argv("127.0.0.1", self.master_port)
        for index in range(self.opts.workers):
            log = p.logs / f"locust_worker_{index + 1}.log"
            self.workers.append(processes.spawn(worker_argv, env=env, log_path=log, cwd=REPO_ROOT))

        limit = (p.total or NO_RUN_TIME_LIMIT) + GRACE_SECONDS
        progress = Progress(
            self.out, f"http://127.0.0.1:{self.locust_metrics_port}/metrics", p.total
        )
        deadline = time.monotonic() + limit
        while self.master.poll() is None:
            if time.monotonic() > deadline:
                progress.done()
                raise RigError(f"Locust did not finish within {limit} s; see {master_log}")
            progress.update()
            time.sleep(0.5)
        progress.done()
        finished = time.time()
        for worker in self.workers:
            try:
                worker.wait(15)  # they quit when the master does
            except subprocess.TimeoutExpired:
                processes.stop(worker)
        code = self.master.returncode
        if not (p.path / files.STATS_CSV).is_file():
            raise RigError(
                f"the Locust master exited with code {code} and wrote no statistics; "
                f"last lines of {master_log}:\n{_tail(master_log)}"
            )
        return launched, finished

    def _monitoring_facts(self) -> dict:
        mon = self.monitoring
        return {
            "source": "prometheus" if mon else "psutil",
            "scrape_interval": mon.scrape_interval if mon else 1,
            "targets": mon.targets if mon else {},
        }


def _connection_config(api_settings: dict[str, str] | None) -> dict[str, str]:
    """The API's connection limits for run.json's config, when rig local set them."""
    if not api_settings:
        return {}
    return {
        "worker_connections": api_settings["RIG_WORKER_CONNECTIONS"],
        "backlog": api_settings["RIG_BACKLOG"],
    }


def run_info(
    the_plan: _Plan,
    launched: float,
    finished: float,
    *,
    target: str,
    locust_exit_code: int | None,
    monitoring: dict,
    versions: dict,
    incidents: list[str],
    api_settings: dict[str, str] | None = None,
) -> runinfo.RunInfo:
    """run.json of a local run: the same rundir.runinfo.make() as `rig run-info` (the role)."""
    opts, settings = the_plan.opts, the_plan.settings
    return runinfo.make(
        the_plan.path,
        scenario=runner.scenario_name(opts.scenario),
        launched=launched,
        finished=finished,
        run_id=the_plan.run_id,
        bench=f"local:{socket.gethostname()}",
        target=target,
        config={
            "users": opts.users or settings.get("users"),
            "spawn_rate": opts.spawn_rate or settings.get("spawn-rate"),
            "run_time": the_plan.run_time,
            "seed_count": settings.get("seed-count", documents.DEFAULT_SEED_COUNT),
            "doc_size": settings.get("doc-size", documents.DEFAULT_SIZE),
            "locust_workers": opts.workers,
            "worker_class": opts.worker_class,
            "workers": opts.app_workers,
            "threads": opts.threads,
            **_connection_config(api_settings),
            "locust_exit_code": locust_exit_code,
        },
        # One box: the rig's traffic is all on lo, and other interfaces carry other things.
        hosts={
            HOST: {
                "roles": ROLES,
                "instance": local_monitor.INSTANCE,
                "network_devices": "lo",
                "network_exclude": "",
            }
        },
        monitoring=monitoring,
        versions=versions,
        incidents=incidents,
    )
