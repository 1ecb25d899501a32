"""`rig reset`: delete the rig's own keys (under its prefix) from a Redis."""

import argparse

from loadgen.reset import reset


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "reset",
        help="delete every key under the rig's prefix (and nothing else)",
        description="SCAN MATCH <prefix>* and UNLINK in batches. Keys outside the prefix "
        "are never touched; an empty prefix is refused.",
        epilog="example:\n  rig reset --redis-url redis://127.0.0.1:6379/0 --prefix rig:",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--prefix", default="rig:", help="key prefix (default rig:)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    deleted = reset(args.redis_url, args.prefix)
    print(f"deleted {deleted} keys under {args.prefix!r}")
    return 0
