"""`rig serve`: the API under Gunicorn or Granian in the foreground."""

import argparse
import os

from rig.serve import REPO_ROOT, SERVERS, chosen_server, server_argv, server_env

EPILOG = """examples:
  rig serve --port 8000 --redis-url redis://127.0.0.1:6379/0
  RIG_WORKERS=1 RIG_THREADS=8 rig serve --server granian

Workers and threads come from RIG_WORKERS and RIG_THREADS for both servers (under Granian,
threads are its blocking threads); RIG_WORKER_CLASS (gevent, gthread, sync) is Gunicorn's.
See the README for every RIG_* setting.
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the JSON-document API under Gunicorn or Granian",
        description="Run the API in the foreground with app/gunicorn.conf.py or "
        "app/granian_conf.py.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("RIG_REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="Redis with the JSON module (default $RIG_REDIS_URL or redis://127.0.0.1:6379/0)",
    )
    parser.add_argument(
        "--server",
        type=str.lower,
        choices=SERVERS,
        default=None,
        help="HTTP server (default $RIG_SERVER or gunicorn)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    server = chosen_server(args.server)  # RigError names the choices for a bad RIG_SERVER
    host = f"[{args.host}]" if ":" in args.host else args.host
    env = server_env(args.redis_url, f"{host}:{args.port}", server=server)
    os.chdir(REPO_ROOT)
    argv = server_argv(server)
    os.execve(argv[0], argv, env)  # the server replaces this process: signals reach it directly
