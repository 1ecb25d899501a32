"""Command lines for the Locust master and workers, shared by `rig local` and the Ansible role.

`python -m loadgen.runner master --scenario NAME --host URL --run-dir DIR` (or `worker
--master-host HOST`) runs the same command line that master_argv()/worker_argv() build.
"""

import argparse
import os
import re
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
WORKER_LOCUSTFILE_ENV = "RIG_LOCUSTFILE"


def list_scenarios() -> list[str]:
    """Names of the bundled scenarios (loadgen/scenarios/NAME.conf)."""
    return sorted(path.stem for path in SCENARIOS_DIR.glob("*.conf"))


def is_scenario_file(scenario: str | Path) -> bool:
    """A path to a conf file of the user's own (anything with a slash or ending in .conf)."""
    text = str(scenario)
    return "/" in text or text.endswith(".conf")


def scenario_path(name: str | Path) -> Path:
    """The conf file of a bundled scenario `name`, or the user's own conf file at a path.

    RigError naming the known scenarios when a name is unknown, or the path when it is not a
    readable file.
    """
    if is_scenario_file(name):
        path = Path(name).expanduser().resolve()
        if not path.is_file():
            raise RigError(f"scenario file {str(name)!r} does not exist or is not a file")
        try:
            path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RigError(f"scenario file {str(name)!r} cannot be read as text: {exc}") from None
        return path
    path = SCENARIOS_DIR / f"{name}.conf"
    if not path.is_file():
        known = ", ".join(list_scenarios()) or "none"
        raise RigError(
            f"unknown scenario {name!r}; known scenarios: {known} (or a path to a .conf file)"
        )
    return path


def scenario_name(scenario: str | Path) -> str:
    """What a run of `scenario` is called: a bundled name, or the stem of the user's file."""
    stem = Path(str(scenario)).stem if is_scenario_file(scenario) else str(scenario)
    # The name goes into run directory names and report titles: keep it to safe characters.
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).strip("._") or "scenario"


def scenario_settings(name: str) -> dict[str, str]:
    """The `key = value` lines of a scenario's conf (what `locust --config` reads)."""
    settings = {}
    for line in scenario_path(name).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            key, value = line.split("=", 1)
            settings[key.strip()] = value.strip()
    return settings


def _locustfile(part: str, conf_dir: Path) -> str:
    """A locustfile named in a conf: beside the user's conf file when it is there, else in the
    checkout (so a user's conf may say `locustfile = loadgen/locustfile.py`)."""
    path = Path(part).expanduser()
    if not path.is_absolute():
        beside = conf_dir / path
        path = beside if conf_dir != SCENARIOS_DIR and beside.exists() else REPO_ROOT / path
    return str(path.resolve())


def scenario_locustfiles(name: str | Path) -> str:
    """The scenario's locustfile list with absolute paths, so any working directory works."""
    value = scenario_settings(name).get("locustfile", str(LOCUSTFILE))
    conf_dir = scenario_path(name).parent
    return ",".join(
        _locustfile(part.strip(), conf_dir) for part in value.split(",") if part.strip()
    )


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
    master.add_argument(
        "--scenario",
        help=f"one of {', '.join(list_scenarios())}, or a path to a .conf file; "
        "without one, --locustfile runs alone (no conf)",
    )
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
    # The benchmark role points the workers at a user's locustfile through the environment
    # (the worker unit's EnvironmentFile), so the unit's command line stays the same.
    worker.add_argument("--locustfile", default=os.environ.get(WORKER_LOCUSTFILE_ENV) or None)
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
