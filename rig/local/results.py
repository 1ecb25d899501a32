"""The run directory of a local run: run.json (through rundir), the report, the exit code."""

import socket
from dataclasses import dataclass
from pathlib import Path

from loadgen import documents
from reports import build
from rig.local.monitor import INSTANCE
from rig.local.plan import Plan
from rundir import fingerprint, runinfo
from rundir.outcome import LOCUST_OK_CODES, SLO_FAILED_EXIT

HOST = "local"
ROLES = ["redis", "app", "locust", "prometheus"]
LOCUST_FAILED_EXIT = 2  # Locust itself failed; the report is still written from what it left


@dataclass
class LocalResult:
    run_dir: Path
    summary: Path
    verdicts: dict
    exit_code: int


def locust_failed(code: int | None) -> bool:
    return code is not None and code not in LOCUST_OK_CODES


def _connection_config(api_settings: dict[str, str] | None) -> dict[str, str]:
    """The API's connection limits for run.json's config, when rig local set them."""
    if not api_settings:
        return {}
    slots = {
        name: api_settings[setting]
        for name, setting in (
            ("worker_connections", "RIG_WORKER_CONNECTIONS"),
            ("backpressure", "RIG_BACKPRESSURE"),
        )
        if setting in api_settings
    }
    return {**slots, "backlog": api_settings["RIG_BACKLOG"]}


def _arrival_rate(rate) -> dict:
    return {"arrival_rate": rate} if rate else {}


def run_info(
    the_plan: Plan,
    launched: float,
    finished: float,
    *,
    target: str,
    locust_exit_code: int | None,
    monitoring: dict,
    versions: dict,
    incidents: list[str],
    roles: list[str] | None = None,
    api_settings: dict[str, str] | None = None,
) -> runinfo.RunInfo:
    """run.json of a local run: the same rundir.runinfo.make() as `rig run-info` (the role)."""
    opts, settings = the_plan.opts, the_plan.settings
    return runinfo.make(
        the_plan.path,
        scenario=the_plan.name,
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
            "server": opts.server,
            "worker_class": opts.worker_class,
            "workers": opts.app_workers,
            "threads": opts.threads,
            **_connection_config(api_settings),
            "locust_exit_code": locust_exit_code,
            "app_instances": opts.app_instances,
            "redis_cluster": opts.redis_cluster,
            # Open-model runs only: the report compares it with the rate achieved.
            **_arrival_rate(opts.arrival_rate or settings.get("arrival-rate")),
        },
        # One box: the rig's traffic is all on lo, and other interfaces carry other things.
        hosts={
            HOST: {
                "roles": roles or ROLES,
                "instance": INSTANCE,
                "network_devices": "lo",
                "network_exclude": "",
                "cpus": the_plan.cpus.run_json(),  # the split the co-location verdict reads
            }
        },
        monitoring=monitoring,
        versions=versions,
        incidents=incidents,
    )


def finish(
    the_plan: Plan,
    launched: float,
    finished: float,
    *,
    target: str,
    redis_url: str | None,
    locust_exit_code: int | None,
    monitoring: dict,
    prometheus_url: str | None,
    incidents: list[str],
    roles: list[str] | None = None,
    extra: dict | None = None,
    api_settings: dict[str, str] | None = None,
) -> LocalResult:
    """Write run.json, build the report; the exit code says what `rig local` found.

    No `redis_url`: a --target service whose Redis is not watched (no Redis versions).
    `extra`: more facts for run.json (target_local).
    """
    info = run_info(
        the_plan,
        launched,
        finished,
        target=target,
        locust_exit_code=locust_exit_code,
        monitoring=monitoring,
        versions=fingerprint.versions(redis_url) if redis_url else fingerprint.box_versions(),
        incidents=incidents,
        roles=roles,
        api_settings=api_settings,
    )
    info.extra.update(extra or {})
    info.write(the_plan.path)
    report = build.build(the_plan.path, prometheus_url, the_plan.path.parent)
    slo = report.verdicts["slo"]
    code = SLO_FAILED_EXIT if slo == "FAIL" else 0
    if locust_failed(locust_exit_code):
        code = LOCUST_FAILED_EXIT
    return LocalResult(the_plan.path, report.summary, report.verdicts, code)
