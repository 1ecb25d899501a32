"""`rig reset`: delete the rig's own keys (under its prefix) from a Redis."""

import argparse
import os

from app.config import Settings, check_key_prefix
from loadgen.reset import reset
from rig.errors import RigError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "reset",
        help="delete every key under the rig's prefix (and nothing else)",
        description="SCAN MATCH <prefix>* and UNLINK in batches. Keys outside the prefix "
        "are never touched. The prefix is the API's: --prefix, else $RIG_KEY_PREFIX, else "
        f"{Settings.key_prefix}",
        epilog="examples:\n"
        "  rig reset --redis-url redis://127.0.0.1:6379/0\n"
        "  RIG_KEY_PREFIX=team: rig reset --redis-url redis://127.0.0.1:6379/0\n"
        "  rig reset --redis-url redis://127.0.0.1:6379/0 --prefix team:",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--redis-url", required=True)
    parser.add_argument(
        "--prefix",
        help=f"key prefix (default: $RIG_KEY_PREFIX, else {Settings.key_prefix})",
    )
    parser.set_defaults(func=run)


def chosen_prefix(flag: str | None) -> str:
    """The same prefix the API would use: the flag, then RIG_KEY_PREFIX, then the default."""
    if flag is not None:
        source, prefix = "--prefix", flag
    else:
        source, prefix = "RIG_KEY_PREFIX", os.environ.get("RIG_KEY_PREFIX", Settings.key_prefix)
    try:
        return check_key_prefix(prefix, source)
    except ValueError as exc:
        raise RigError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    prefix = chosen_prefix(args.prefix)
    deleted = reset(args.redis_url, prefix)
    print(f"deleted {deleted} keys under the prefix {prefix!r}")
    return 0
