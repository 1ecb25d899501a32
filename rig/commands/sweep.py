"""`rig sweep`: one `rig local` run per API setting of a grid, compared in sweep.md."""

import argparse
from pathlib import Path

from loadgen import runner
from rig.commands.cpu_options import add_cpu_split_options, cpu_split_options
from rig.errors import RigError
from rig.local.plan import LocalOptions
from rig.paths import DEFAULT_RESULTS_DIR
from rig.sweep import grid as sweep_grid
from rig.sweep import recommend
from rig.sweep import runner as sweep_runner

EPILOG = """examples:
  rig sweep --scenario get_field --users 50 --run-time 30s \\
      --grid server=gunicorn,granian worker_class=gevent,gthread,sync workers=1,2 threads=4,16
  rig sweep --grid-file my-grid.yml --objective efficiency --target-rps 1500
  rig sweep --arrival-rate 400 --users 40 --grid server=gunicorn,granian workers=1,2
                                      open model: every point asked for 400 req/s
  rig sweep --cpus-loadgen 1 --cpus-service 0 --grid server=gunicorn,granian
                                      on 2 CPUs: Locust apart, or every point is SUSPECT

A grid file is YAML: `grid:` maps dimensions (server, worker_class, workers, threads) to
lists; `points:` adds points one by one, each optionally with `env:` (extra RIG_* settings of
its API). Combinations that mean nothing (a worker class under Granian, threads under gevent
or sync) are skipped and listed. Every point is a normal run directory under
RESULTS_DIR/SWEEP_ID/, beside sweep.md (sorted by the objective, with the recommended setting:
never a SUSPECT run or one that missed its SLO) and charts/. With --arrival-rate, sweep.md
shows each point's target and achieved rates; a point below 97 % of its target is marked CO
(coordinated omission) and never recommended. The lab's sweep is playbooks/sweep.yml.
Exit status: 0; 2 on an error; 130 after Ctrl-C.
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "sweep",
        help="compare API server settings side by side and recommend one",
        description="Run the same load against every API setting of a grid with `rig local`.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--grid",
        nargs="+",
        metavar="KEY=V1,V2",
        default=[],
        help="dimensions: server, worker_class, workers, threads",
    )
    parser.add_argument("--grid-file", type=Path, help="a YAML grid (see below)")
    parser.add_argument(
        "--scenario",
        default="post_15k",
        help=f"one of: {', '.join(runner.list_scenarios())} (default post_15k)",
    )
    parser.add_argument("--run-time", help="per point, e.g. 30s (default: the scenario's)")
    parser.add_argument("--users", type=int, help="users of every point (default: the scenario's)")
    parser.add_argument("--spawn-rate", type=float, help="users started per second")
    parser.add_argument(
        "--arrival-rate",
        type=float,
        metavar="REQ_PER_S",
        help="open model: every point is asked for this many requests per second, spread "
        "over --users (default: closed model, the scenario's waits)",
    )
    parser.add_argument("--workers", type=int, default=4, help="Locust workers (default 4)")
    parser.add_argument(
        "--objective",
        choices=sorted(recommend.OBJECTIVES),
        default="throughput",
        help="throughput: the most requests/s; efficiency: the most requests per API "
        "CPU-second (default throughput)",
    )
    parser.add_argument(
        "--target-rps", type=float, help="recommend only points that reached this many requests/s"
    )
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=DEFAULT_RESULTS_DIR,
        help=f"parent of the sweep directory (default {DEFAULT_RESULTS_DIR})",
    )
    # A point whose load generator shares CPUs with the API is SUSPECT, and a SUSPECT point is
    # never recommended: on a box of fewer than 4 CPUs give the split by hand.
    add_cpu_split_options(parser, sharing=False)
    parser.add_argument(
        "--no-prometheus",
        dest="prometheus",
        action="store_false",
        help="sample hosts and processes with psutil instead of Prometheus",
    )
    parser.set_defaults(func=run)


def build_grid(args: argparse.Namespace) -> sweep_grid.Grid:
    dimensions, extra = {}, []
    if args.grid_file:
        dimensions, extra = sweep_grid.load_file(args.grid_file)
    for key, values in sweep_grid.parse_args(args.grid).items():
        dimensions[key] = values  # the command line wins over the file
    if not dimensions and not extra:
        raise RigError("give a grid: --grid KEY=V1,V2 ... or --grid-file FILE")
    return sweep_grid.expand(dimensions, extra)


def run(args: argparse.Namespace) -> int:
    if args.target_rps is not None and args.target_rps <= 0:
        raise RigError("--target-rps must be above 0")
    base = LocalOptions(
        scenario=args.scenario,
        run_time=args.run_time,
        users=args.users,
        spawn_rate=args.spawn_rate,
        arrival_rate=args.arrival_rate,
        workers=args.workers,
        prometheus=args.prometheus,
        **cpu_split_options(args),
    )
    options = sweep_runner.SweepOptions(
        grid=build_grid(args),
        base=base,
        objective=args.objective,
        target_rps=args.target_rps,
        results_dir=args.results_dir,
    )
    result = sweep_runner.run(options)
    print(f"recommended: {result.recommended or 'none'}")
    print(result.sweep_md)
    return 0
