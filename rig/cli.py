"""The `rig` command: parses arguments and hands each subcommand to its own module."""

import argparse
import importlib
import sys

from rig.errors import RigError

# One module per subcommand; each defines register(subparsers) and sets args.func.
COMMAND_MODULES = [
    "rig.commands.redis",
    "rig.commands.serve",
    "rig.commands.lab",
    "rig.commands.local",
    "rig.commands.sweep",
    "rig.commands.sweep_lab",
    "rig.commands.report",
    "rig.commands.run_info",
    "rig.commands.compare",
    "rig.commands.seed",
    "rig.commands.reset",
    "rig.commands.canary",
]

EPILOG = """examples:
  rig local --scenario post_15k --run-time 60s   run the whole bench on this box, write a report
  rig redis --port 6379                          a Redis with the JSON module, in the foreground
  rig serve --port 8000 --redis-url redis://127.0.0.1:6379/0
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rig",
        description="Load-testing rig for JSON documents in Redis.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except RigError as exc:
        print(f"rig {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"rig {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
