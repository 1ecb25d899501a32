"""`rig serve`: the API under Gunicorn in the foreground."""

import argparse
import os

from rig.serve import REPO_ROOT, gunicorn_argv, gunicorn_env


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the JSON-document API under Gunicorn",
        description="Run the API with app/gunicorn.conf.py. Worker class, workers and threads "
        "come from RIG_WORKER_CLASS, RIG_WORKERS and RIG_THREADS (see README).",
    )
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("RIG_REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="Redis with the JSON module (default $RIG_REDIS_URL or redis://127.0.0.1:6379/0)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    env = gunicorn_env(args.redis_url, f"{args.host}:{args.port}")
    os.chdir(REPO_ROOT)
    argv = gunicorn_argv()
    os.execve(argv[0], argv, env)  # Gunicorn replaces this process: signals reach it directly
