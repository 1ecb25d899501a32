"""`rig run-info RUN_DIR ...`: write run.json from the run's Locust files and the facts given.

The benchmark role calls it on the controller after fetching a run directory; `rig local`
goes through the same rundir.runinfo.make(), so one set of facts gives one run.json.
"""

import argparse
import json
import math
import os
from pathlib import Path

from rig.errors import RigError
from rundir import fingerprint, runinfo
from rundir.files import RUN_JSON

EPILOG = """examples:
  rig run-info results/RUN_ID --scenario post_15k --launched 1767229190.5 --finished 1767229265.1
  rig run-info results/RUN_ID --scenario post_15k --launched T0 --finished T1 --bench lab \\
      --config '{"users": 50}' --hosts '{"app1": {"roles": ["app"]}}' \\
      --versions '{"python": "3.11.2"}'

The window (start, end) comes from RUN_DIR/locust_stats_history.csv, the git revision from
--checkout. With a Redis URL (--redis-url or RIG_REDIS_URL; the environment keeps its
password out of process listings and logs), versions gets the server's and the JSON module's.
"""
JSON_OBJECTS = ("config", "hosts", "monitoring", "versions")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "run-info",
        help="write a run directory's run.json (the benchmark role uses it)",
        description="Write RUN_DIR/run.json: the load window from Locust's history, the git "
        "revision, and the facts given as options. An existing run.json is replaced.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a results/RUN_ID directory")
    parser.add_argument("--scenario", required=True, help="the scenario's name")
    parser.add_argument("--launched", required=True, type=_epoch, help="epoch s: Locust started")
    parser.add_argument("--finished", required=True, type=_epoch, help="epoch s: Locust exited")
    parser.add_argument("--run-id", default="", help="default: RUN_DIR's name")
    parser.add_argument("--bench", default="", help="what the run ran on; runs compare within one")
    parser.add_argument("--target", default="", help="the URL the load went to")
    for name in JSON_OBJECTS:
        parser.add_argument(f"--{name}", type=_json_object, default={}, metavar="JSON")
    parser.add_argument("--incident", action="append", default=[], help="makes the run SUSPECT")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("RIG_REDIS_URL", ""),
        help="the Redis under test, asked for its version (default: $RIG_REDIS_URL)",
    )
    parser.add_argument(
        "--checkout",
        type=Path,
        default=fingerprint.CHECKOUT,
        help="the rig's git checkout, for git_rev (default: this rig's)",
    )
    parser.set_defaults(func=run)


def _epoch(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not epoch seconds")
    return value


def _json_object(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object ({...})")
    return value


def run(args: argparse.Namespace) -> int:
    if not args.run_dir.is_dir():
        raise RigError(f"{args.run_dir} is not a directory")
    if args.finished < args.launched:
        raise RigError("--finished is before --launched")
    versions = fingerprint.redis_versions(args.redis_url) if args.redis_url else {}
    info = runinfo.make(
        args.run_dir,
        scenario=args.scenario,
        launched=args.launched,
        finished=args.finished,
        run_id=args.run_id,
        bench=args.bench,
        target=args.target,
        config=args.config,
        hosts=args.hosts,
        monitoring=args.monitoring,
        versions={**versions, **args.versions},
        incidents=args.incident,
        checkout=args.checkout,
    )
    try:
        path = info.write(args.run_dir)
    except OSError as exc:
        raise RigError(f"cannot write {args.run_dir / RUN_JSON}: {exc}") from None
    print(f"{path}: {info.scenario}, {info.end - info.start:.0f} s of load from {info.start}")
    return 0
