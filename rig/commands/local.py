"""`rig local`: the whole bench on this box for one scenario, ending with the report's path."""

import argparse
import os
from pathlib import Path

from loadgen import runner
from rig.commands.cpu_options import add_cpu_split_options, cpu_split_options
from rig.local import bench, repeat
from rig.local.plan import LocalOptions
from rig.paths import DEFAULT_RESULTS_DIR
from rig.serve import SERVERS, chosen_server

EPILOG = """examples:
  rig local                                        post_15k, its own run time, 4 Locust workers
  rig local --scenario get_doc --run-time 30s --users 100
  rig local --no-prometheus                        host figures from psutil instead
  rig local --scenario ~/my-load.conf              a scenario conf file of your own
  rig local --server granian --app-workers 1 --threads 8
  rig local --repeat 5 --run-time 30s              5 runs, medians and CVs in repeats.md
  rig local --cpus-loadgen 3 --cpus-service 0-2    Locust on CPU 3, API and Redis on 0-2
  rig local --arrival-rate 500 --users 100         open model: 500 req/s, target vs achieved
  rig local --web                                  start and stop the run in Locust's web UI
  rig local --target http://127.0.0.1:5000 --locustfile my_locustfile.py \
            --redis-url redis://127.0.0.1:6379/0 --users 20 --run-time 2m
                                                   your own service (docs/own-service.md)

Starts Redis with RedisJSON, the API under Gunicorn or
Granian (neither with --target), Prometheus with
node, redis and process exporters (Debian's packages, when installed), the Locust master and
workers; writes
RESULTS_DIR/RUN_ID/ and prints the path of its summary.md (with --repeat N: RESULTS_DIR/
REPEAT_ID/ with N run directories and repeats.md, whose path it prints). On 4 CPUs or more
the load generator and the service get separate CPUs (a quarter for Locust) unless told
otherwise; a run where they share CPUs is SUSPECT. Exit status: 0; 3 when an SLO gate
was missed; 2 on an error (a server did not start, Locust failed); 130 after Ctrl-C.
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "local",
        help="run the whole bench on this box and write the report",
        description="Run one scenario end to end on this machine and write its report.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--scenario",
        help=f"one of: {', '.join(runner.list_scenarios())} (default post_15k; with "
        "--locustfile: none, every task of the file), or the path to a scenario conf file of "
        "your own",
    )
    parser.add_argument(
        "--target",
        metavar="URL",
        help="load this service instead of starting the bundled API and Redis",
    )
    parser.add_argument(
        "--locustfile",
        type=Path,
        metavar="PATH",
        help="your own locustfile (plain Locust); the rig's plugins are loaded beside it",
    )
    parser.add_argument(
        "--redis-url",
        metavar="URL",
        help="with --target: the service's Redis, watched read-only by redis_exporter",
    )
    parser.add_argument(
        "--web",
        action="store_true",
        help="Locust's web UI on a free port: start and stop the run in the browser",
    )
    parser.add_argument("--run-time", help="e.g. 60s, 5m (default: the scenario's)")
    parser.add_argument("--users", type=int, help="peak users (default: the scenario's)")
    parser.add_argument("--spawn-rate", type=float, help="users started per second")
    parser.add_argument("--workers", type=int, default=4, help="Locust workers (default 4)")
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=DEFAULT_RESULTS_DIR,
        help=f"where run directories and index.md go (default {DEFAULT_RESULTS_DIR})",
    )
    parser.add_argument(
        "--no-prometheus",
        dest="prometheus",
        action="store_false",
        help="do not start Prometheus and exporters; sample with psutil",
    )
    parser.add_argument(
        "--server",
        type=str.lower,
        choices=SERVERS,
        default=None,
        help="API server (default $RIG_SERVER or gunicorn)",
    )
    parser.add_argument(
        "--worker-class",
        choices=["gevent", "gthread", "sync"],
        default="gevent",
        help="Gunicorn worker class (default gevent)",
    )
    parser.add_argument(
        "--app-workers",
        type=int,
        default=os.cpu_count() or 1,
        help="API worker processes (default: CPU count)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=4,
        help="threads per worker (gthread; Granian's blocking threads)",
    )
    parser.add_argument(
        "--keep-tsdb",
        action="store_true",
        help="keep Prometheus' data in RUN_DIR/prometheus/tsdb (default: removed after the report)",
    )
    parser.add_argument(
        "--app-instances",
        type=int,
        default=1,
        metavar="N",
        help="API instances; more than one runs them behind a local HAProxy (default 1)",
    )
    parser.add_argument(
        "--redis-cluster",
        type=int,
        default=0,
        metavar="N",
        help="a local Redis Cluster of N primaries instead of one Redis",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="run N times; repeats.md shows each figure's median and CV (default 1)",
    )
    parser.add_argument(
        "--arrival-rate",
        type=float,
        metavar="RPS",
        help="open model: requests per second spread over the users with constant pacing; "
        "the report flags an achieved rate below 97 %% of it",
    )
    add_cpu_split_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    options = LocalOptions(
        scenario=args.scenario,
        run_time=args.run_time,
        users=args.users,
        spawn_rate=args.spawn_rate,
        workers=args.workers,
        results_dir=args.results_dir,
        prometheus=args.prometheus,
        server=chosen_server(args.server),
        worker_class=args.worker_class,
        app_workers=args.app_workers,
        threads=args.threads,
        keep_tsdb=args.keep_tsdb,
        app_instances=args.app_instances,
        redis_cluster=args.redis_cluster,
        **cpu_split_options(args),
        arrival_rate=args.arrival_rate,
        target=args.target,
        locustfile=args.locustfile,
        redis_url=args.redis_url,
        web=args.web,
    )
    if args.repeat != 1:
        repeated = repeat.run_repeats(options, args.repeat)
        print(repeated.repeats_md)
        return repeated.exit_code
    result = bench.run(options)
    print(result.summary)
    return result.exit_code
