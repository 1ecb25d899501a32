"""`rig local`: the whole bench on one box, then its report; stops all it started, come what may."""

import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO

from loadgen import runner
from rig import api_metrics, processes, scaleout, serve, sizing
from rig.errors import RigError
from rig.local import canary_step, cpu_split, monitor, own, results, sampler
from rig.local import target as local_target
from rig.local.plan import LocalOptions, Plan, plan
from rig.local.progress import Progress
from rig.local.saturation_watch import SaturationWatch
from rig.paths import REPO_ROOT
from rig.ports import free_port
from rig.signals import interrupt_on_signals
from rundir.files import STATS_CSV
from rundir.runinfo import number

# Beyond --run-time: worker start-up, seeding before the clock starts, stopping users.
GRACE_SECONDS = 180
NO_RUN_TIME_LIMIT = 3600  # shape-driven scenarios (no run-time) end themselves; bound them anyway
API_START_SECONDS = 60


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


def api_settings(opts: LocalOptions, scenario: dict[str, str]) -> dict[str, str]:
    """The API's RIG_* settings: the options, and connection slots sized for the crowd
    (rig/sizing.py) unless the environment sets them."""
    users = opts.users or number(scenario.get("users"))
    sized = sizing.api_settings(
        users if isinstance(users, int) else None,
        opts.app_workers,
        server=serve.chosen_server(opts.server),
    )
    return {
        "RIG_WORKER_CLASS": opts.worker_class,
        "RIG_WORKERS": str(opts.app_workers),
        "RIG_THREADS": str(opts.threads),
        **{name: os.environ.get(name) or value for name, value in sized.items()},
    }


def run(opts: LocalOptions, out: TextIO = sys.stdout) -> results.LocalResult:
    """Run the bench and build the report; RigError for anything the user can fix."""
    the_plan = plan(opts)
    the_plan.logs.mkdir(parents=True)
    # SIGTERM (systemd, CI time-outs) and SIGHUP (a closed terminal) unwind like Ctrl-C, so
    # every started process is stopped.
    try:
        with interrupt_on_signals(), contextlib.ExitStack() as stack:
            return _Bench(the_plan, out, stack).run()
    finally:
        if not opts.keep_tsdb:
            shutil.rmtree(the_plan.work / "tsdb", ignore_errors=True)
        shutil.rmtree(the_plan.work / "api-metrics", ignore_errors=True)


class _Bench(own.OwnService):
    """One run's processes; each one started registers its stop on the exit stack at once."""

    def __init__(self, the_plan: Plan, out: TextIO, stack: contextlib.ExitStack):
        self.plan = the_plan
        self.opts = the_plan.opts
        self.out = out
        self.stack = stack
        self.master: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.monitoring: monitor.Monitoring | None = None
        self.sampler: sampler.Sampler | None = None
        self.locust_metrics_port = free_port()
        self.master_port = free_port()
        self.web_port = free_port() if self.opts.web else None
        self.db = self.api = None
        self.data: scaleout.DataTier | None = None
        self.app: scaleout.AppTier | None = None
        self.api_name = None

    def say(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()

    def run(self) -> results.LocalResult:
        p = self.plan
        self.say(f"run {p.run_id}: results in {p.path}")
        self.say(p.cpus.how)
        self.api_settings: dict[str, str] | None = None
        self.api_metrics: api_metrics.ApiMetrics | None = None
        if self.opts.target:
            self._say_target()
        else:
            self.data = scaleout.start_data_tier(self.opts.redis_cluster, p.logs)
            self.stack.callback(self.data.stop)
            for pid in self.data.pids:
                cpu_split.pin(pid, p.cpus.service)
            self.db = self.data.nodes[0]
            self.api_name = f"rig-api-{p.run_id}"
            self.api_settings = api_settings(self.opts, p.settings)
            if self.opts.app_instances == 1:
                # Scraped from the files, not from the API, whose slots a crowd may fill. With
                # several instances each one keeps its own files and is scraped on its own.
                self.api_metrics = api_metrics.serve(p.work / "api-metrics")
                self.stack.callback(self.api_metrics.stop)
            self.app = scaleout.start_app_tier(
                self.opts.app_instances, self._start_api, p.path, p.logs
            )
            self.stack.callback(self.app.stop)
            for pid in self.app.api_pids:  # each master and its workers
                cpu_split.pin(pid, p.cpus.service)
            self.api = self.app.apis[0]
            self.say(f"{self.data.describe()}, {self.app.describe()}")
        if self.opts.canary:
            canary_step.measure(self)
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
        result = results.finish(
            p,
            launched,
            finished,
            target=local_target.redact(self.target_url),
            redis_url=self.redis_url,
            locust_exit_code=self.master.returncode if self.master else None,
            monitoring=self._monitoring_facts(),
            prometheus_url=self.monitoring.url if self.monitoring else None,
            incidents=incidents,
            **(self._target_facts() or self._scaleout_facts()),
            api_settings=self.api_settings,
        )
        verdicts = result.verdicts
        reasons = "".join(f"\n  suspect: {r}" for r in verdicts["validity_reasons"])
        self.say(f"SLO {verdicts['slo']}, run {verdicts['validity']}{reasons}")
        self.say(f"bottleneck: {verdicts['bottleneck'].removeprefix('Bottleneck: ')}")
        return result

    def _scaleout_facts(self) -> dict:
        """run.json's roles of this box when HAProxy runs in front of the instances."""
        if self.app and self.app.balancer:
            return {"roles": scaleout.roles(self.data, self.app, results.ROLES)}
        return {}

    def _start_api(self, index: int, log: Path) -> serve.RunningApi:
        """Gunicorn as `rig serve` runs it, named so process-exporter can tell it apart."""
        settings = {
            **self.api_settings,
            **self.data.api_settings,
        }
        if self.api_metrics:
            settings["PROMETHEUS_MULTIPROC_DIR"] = str(self.api_metrics.directory)
        try:
            return serve.start(
                self.db.url,
                settings=settings,
                log_path=log,
                timeout=API_START_SECONDS,
                server=self.opts.server,
                name=f"{self.api_name}-{index + 1}" if index else self.api_name,
                ready_path="/readyz",  # Redis reachable and its JSON module loaded
            )
        except (RuntimeError, TimeoutError) as exc:
            raise RigError(f"{exc}; see {log}") from None

    def _start_monitoring(self) -> None:
        absent = monitor.missing_binaries()
        if self.opts.prometheus and not absent:
            balancer = self.app.balancer if self.app else None
            groups = monitor.ProcessGroups(
                self.api_name,
                self.db.port if self.db else None,
                self.master_port,
                redis_ports=tuple(self.data.ports) if self.data else (),
                haproxy_config=str(balancer.config_path) if balancer else "",
            )
            self.monitoring = monitor.start(
                self.plan.work,
                self.plan.logs,
                self.redis_url,
                self.api_metrics.address
                if self.api_metrics
                else (f"127.0.0.1:{self.api.port}" if self.api else None),
                f"127.0.0.1:{self.locust_metrics_port}",
                groups,
                extra_jobs=(
                    lambda exporter: scaleout.scrape_jobs(
                        self.data, self.app, exporter, {"instance": monitor.INSTANCE}
                    )
                )
                if self.app
                else None,
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
        self.sampler = sampler.Sampler(
            self.plan.path,
            groups={
                **(
                    {
                        "api": lambda: self.app.api_pids,
                        "redis": lambda: self.data.pids,
                    }
                    if self.api
                    else {}
                ),
                "locust": lambda: [p.pid for p in [self.master, *self.workers] if p],
            },
            workers=lambda: [p.pid for p in self.workers],
            redis_url=self.redis_url,
        )
        self.sampler.start()
        self.stack.callback(self.sampler.stop)

    def _monitoring_facts(self) -> dict:
        mon = self.monitoring
        return {
            "source": "prometheus" if mon else "psutil",
            "scrape_interval": mon.scrape_interval if mon else 1,
            "targets": mon.targets if mon else {},
        }

    def _incidents(self) -> list[str]:
        """Servers that died under load: the figures then measure errors, not the service."""
        found = [] if self.opts.target else self.data.died() + self.app.died()
        code = self.master.returncode if self.master else None
        if results.locust_failed(code):
            found.append(f"the Locust master failed (code {code}); see logs/locust_master.log")
        return found

    def _stop_locust(self) -> None:
        for proc in [*self.workers, self.master]:
            if proc is not None:
                processes.stop(proc)

    def _run_locust(self) -> tuple[float, float]:
        p, env = self.plan, _child_env()
        locustfile = (
            local_target.locustfiles(self.opts.locustfile, self.opts.scenario)
            if self.opts.locustfile
            else None
        )
        argv = runner.master_argv(
            self.opts.scenario,
            self.target_url,
            p.path,
            self.opts.workers,
            run_time=p.run_time,
            users=self.opts.users,
            spawn_rate=self.opts.spawn_rate,
            prometheus_port=self.locust_metrics_port,
            master_bind_port=self.master_port,
            locustfile=locustfile,
            web_port=self.web_port,
            extra=["--arrival-rate", str(self.opts.arrival_rate)] if self.opts.arrival_rate else (),
        )
        master_log = p.logs / "locust_master.log"
        launched = time.time()
        self.master = processes.spawn(argv, env=env, log_path=master_log, cwd=REPO_ROOT)
        cpu_split.pin(self.master.pid, p.cpus.loadgen)
        worker_argv = runner.worker_argv("127.0.0.1", self.master_port, locustfile=locustfile)
        for index in range(self.opts.workers):
            log = p.logs / f"locust_worker_{index + 1}.log"
            self.workers.append(processes.spawn(worker_argv, env=env, log_path=log, cwd=REPO_ROOT))
            cpu_split.pin(self.workers[-1].pid, p.cpus.loadgen)

        if self.web_port:
            self._follow_web_ui(master_log)
            return self._after_master(launched, master_log)
        limit = (p.total or NO_RUN_TIME_LIMIT) + GRACE_SECONDS
        progress = Progress(
            self.out, f"http://127.0.0.1:{self.locust_metrics_port}/metrics", p.total
        )
        deadline = time.monotonic() + limit
        watch = SaturationWatch(p.cpus.loadgen)
        while self.master.poll() is None:
            if time.monotonic() > deadline:
                progress.done()
                raise RigError(f"Locust did not finish within {limit} s; see {master_log}")
            progress.update()
            warning = watch.check(progress.load_started is not None)
            if warning:  # at once, on a line of its own
                progress.done()
                self.say(warning)
            time.sleep(0.5)
        progress.done()
        return self._after_master(launched, master_log)

    def _after_master(self, launched: float, master_log: Path) -> tuple[float, float]:
        p = self.plan
        finished = time.time()
        for worker in self.workers:
            try:
                worker.wait(15)  # they quit when the master does
            except subprocess.TimeoutExpired:
                processes.stop(worker)
        code = self.master.returncode
        if not (p.path / STATS_CSV).is_file():
            raise RigError(
                f"the Locust master exited with code {code} and wrote no statistics; "
                f"last lines of {master_log}:\n{_tail(master_log)}"
            )
        return launched, finished
