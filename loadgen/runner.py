"""Command lines for the Locust master and workers, shared by `rig local` and the Ansible role.

`python -m loadgen.runner master --scenario NAME --host URL --run-dir DIR` (or `worker
--master-host HOST`) runs the same command line that master_argv()/worker_argv() build.
"""

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from rundir.errors import RigError
from rundir.files import CSV_PREFIX, HTML_REPORT, JSON_STATS_ARG

# The checkout (or the release directory on a load generator) that holds loadgen/.
LOADGEN_DIR = Path(__file__).resolve().parent
REPO_ROOT = LOADGEN_DIR.parent
SCENARIOS_DIR = LOADGEN_DIR / "scenarios"
LOCUSTFILE = LOADGEN_DIR / "locustfile.py"
DEFAULT_PROMETHEUS_PORT = 9646
DEFAULT_MASTER_PORT = 5557


def list_scenarios() -> list[str]:
    """Names of the bundled scenarios (loadgen/scenarios/NAME.conf)."""
    return sorted(path.stem for path in SCENARIOS_DIR.glob("*.conf"))


def scenario_path(name: str) -> Path:
    """The conf file of scenario `name`; RigError naming the known ones when it does not exist."""
    path = SCENARIOS_DIR / f"{name}.conf"
    if "/" in name or not path.is_file():
        known = ", ".join(list_scenarios()) or "none"
        raise RigError(f"unknown scenario {name!r}; known scenarios: {known}")
    return path


def scenario_settings(name: str) -> dict[str, str]:
    """The `key = value` lines of a scenario's conf (what `locust --config` reads)."""
    settings = {}
    for line in scenario_path(name).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            key, value = line.split("=", 1)
            settings[key.strip()] = value.strip()
    return settings


def scenario_locustfiles(name: str) -> str:
    """The scenario's locustfile list with absolute paths, so any working directory works."""
    value = scenario_settings(name).get("locustfile", str(LOCUSTFILE))
    return ",".join(str((REPO_ROOT / part.strip()).resolve()) for part in value.split(","))


def output_flags(run_dir: Path) -> list[str]:
    """Locust's own outputs, all inside `run_dir`; the plugins write theirs beside the CSVs."""
    run_dir = Path(run_dir)
    return [
        "--csv",
        str(run_dir / CSV_PREFIX),
        "--csv-full-history",
        "--html",
        str(run_dir / HTML_REPORT),
        "--json-file",
        str(run_dir / JSON_STATS_ARG),
    ]


def master_argv(
    scenario: str | None,
    host: str,
    run_dir: Path,
    expect_workers: int,
    run_time: str | None = None,
    users: int | None = None,
    spawn_rate: float | None = None,
    prometheus_port: int = DEFAULT_PROMETHEUS_PORT,
    master_bind_port: int = DEFAULT_MASTER_PORT,
    extra: Sequence[str] = (),
    *,
    locustfile: str | Path | None = None,
    expect_workers_max_wait: int = 120,
    web_port: int | None = None,
) -> list[str]:
    """The headless master for `scenario`; expect_workers=0 runs one standalone process instead.

    `locustfile` replaces the scenario's own (a user's locustfile importing our plugins);
    without a scenario it is required and no conf applies. `web_port` runs Locust's web UI
    on loopback instead of a headless run: the run starts and stops in the browser.
    """
    if expect_workers < 0:
        raise RigError("expect_workers must be 0 (standalone) or more")
    if scenario is None and not locustfile:
        raise RigError("without a scenario a locustfile is needed")
    argv = [sys.executable, "-m", "locust"]
    if scenario is not None:
        argv += ["--config", str(scenario_path(scenario))]
    argv += ["-f", str(locustfile) if locustfile else scenario_locustfiles(scenario)]
    interface = ["--web-host", "127.0.0.1", "--web-port", str(web_port)] if web_port else []
    argv += interface or ["--headless"]
    argv += ["--host", host, *output_flags(run_dir)]
    argv += ["--prometheus-port", str(prometheus_port)]
    if expect_workers:
        argv += ["--master", "--master-bind-port", str(master_bind_port)]
        if not web_port:  # the web UI starts with whoever has connected
            argv += ["--expect-workers", str(expect_workers)]
            argv += ["--expect-workers-max-wait", str(expect_workers_max_wait)]
    if run_time is not None:
        argv += ["--run-time", str(run_time)]
    if users is not None:
        argv += ["--users", str(users)]
    if spawn_rate is not None:
        argv += ["--spawn-rate", str(spawn_rate)]
    return argv + list(extra)


def worker_argv(
    master_host: str,
    master_port: int = DEFAULT_MASTER_PORT,
    extra: Sequence[str] = (),
    *,
    locustfile: str | Path | None = None,
    processes: int | None = None,
) -> list[str]:
    """A worker (or `processes` forked workers) that connects to the master at master_host."""
    argv = [sys.executable, "-m", "locust", "--worker", "-f", str(locustfile or LOCUSTFILE)]
    argv += ["--master-host", master_host, "--master-port", str(master_port)]
    if processes:
        argv += ["--processes", str(processes)]
    return argv + list(extra)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadgen.runner",
        description="Run the Locust master or a worker with the rig's command line.",
        epilog="examples:\n"
        "  python -m loadgen.runner master --scenario post_15k --host http://app:8000 "
        "--run-dir results/r1 --expect-workers 4\n"
        "  python -m loadgen.runner worker --master-host 10.0.0.5\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="role", required=True)
    master = sub.add_parser("master")
    master.add_argument("--scenario", required=True, help=f"one of {', '.join(list_scenarios())}")
    master.add_argument("--host", required=True)
    master.add_argument("--run-dir", type=Path, required=True)
    master.add_argument("--expect-workers", type=int, default=4)
    master.add_argument("--run-time")
    master.add_argument("--users", type=int)
    master.add_argument("--spawn-rate", type=float)
    master.add_argument("--prometheus-port", type=int, default=DEFAULT_PROMETHEUS_PORT)
    master.add_argument("--master-bind-port", type=int, default=DEFAULT_MASTER_PORT)
    master.add_argument("--locustfile")
    worker = sub.add_parser("worker")
    worker.add_argument("--master-host", default="127.0.0.1")
    worker.add_argument("--master-port", type=int, default=DEFAULT_MASTER_PORT)
    worker.add_argument("--locustfile")
    worker.add_argument("--processes", type=int)
    for each in (master, worker):
        each.add_argument("--print", action="store_true", help="print the command, do not run it")
    return parser


def main(argv: list[str] | None = None) -> int:
    args, extra = _parser().parse_known_args(argv)
    try:
        if args.role == "master":
            command = master_argv(
                args.scenario,
                args.host,
                args.run_dir,
                args.expect_workers,
                args.run_time,
                args.users,
                args.spawn_rate,
                args.prometheus_port,
                args.master_bind_port,
                extra,
                locustfile=args.locustfile,
            )
        else:
            command = worker_argv(
                args.master_host,
                args.master_port,
                extra,
                locustfile=args.locustfile,
                processes=args.processes,
            )
    except RigError as exc:
        print(f"loadgen.runner: error: {exc}", file=sys.stderr)
        return 2
    if args.print:
        print(" ".join(command))
        return 0
    os.execv(command[0], command)  # replaces this process, so systemd supervises Locust itself
    return 0  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
