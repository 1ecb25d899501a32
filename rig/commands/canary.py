"""`rig canary OUT.json`: the environment's noise figure, measured before a benchmark."""

import argparse
import os
from pathlib import Path

from rig import canary
from rig.commands.reset import chosen_prefix
from rig.errors import RigError
from rundir.files import CANARY_JSON
from rundir.load import write_json

EPILOG = f"""examples:
  RIG_REDIS_URL=redis://:secret@10.0.1.2:6379/0 rig canary /tmp/{CANARY_JSON} \\
      --http http://10.0.1.3:8000/healthz
  rig canary results/RUN_ID/{CANARY_JSON} --redis-url redis://127.0.0.1:6379/0 --prefix rig:

The Redis part writes and reads {canary.KEYS} keys PREFIX + "canary:{{c}}:N" and unlinks them;
no other key is touched. The report compares the figures with the canaries of earlier runs
and withholds a REGRESSION verdict on a run whose canary moved (docs/reports.md).
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "canary",
        help="measure the environment with a short fixed workload (Redis and /healthz)",
        description="A bounded loop of Redis round trips and of GETs of the service's "
        "/healthz, independent of the code under test; writes its figures as JSON.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("out", type=Path, metavar="OUT", help=f"the JSON file ({CANARY_JSON})")
    parser.add_argument("--redis-url", help="the Redis to measure (default: $RIG_REDIS_URL)")
    parser.add_argument("--prefix", help="the rig's key prefix (default: $RIG_KEY_PREFIX, rig:)")
    parser.add_argument("--http", metavar="URL", help="a URL to GET, e.g. the API's /healthz")
    parser.add_argument("--redis-ops", type=int, default=canary.REDIS_OPS)
    parser.add_argument("--http-requests", type=int, default=canary.HTTP_REQUESTS)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    redis_url = args.redis_url or os.environ.get("RIG_REDIS_URL") or None
    prefix = chosen_prefix(args.prefix)
    canary.check_count(args.redis_ops, "--redis-ops")
    canary.check_count(args.http_requests, "--http-requests")
    if args.out.is_dir():
        raise RigError(f"{args.out} is a directory; give the JSON file's path")
    result = canary.run(redis_url, prefix, args.http, args.redis_ops, args.http_requests)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_json(args.out, result)
    print(canary.line(result))
    # A canary that measured nothing is an error; one part missing is said, not fatal.
    return 0 if ("redis" in result or "http" in result) else 1
