"""The CPU-split options of the commands that run the bench on this box (`rig local` and
`rig sweep`), defined once; rig/local/cpu_split.py reads them through LocalOptions.
"""

import argparse


def add_cpu_split_options(parser: argparse.ArgumentParser, sharing: bool = True) -> None:
    """--cpus-loadgen and --cpus-service, and --no-cpu-split where a shared run is allowed
    (`rig sweep` leaves it out: a point whose load generator shares CPUs is SUSPECT, and a
    SUSPECT point is never recommended)."""
    parser.add_argument("--cpus-loadgen", metavar="CPUS", help="CPUs for Locust, e.g. 3 or 2-3")
    parser.add_argument(
        "--cpus-service", metavar="CPUS", help="CPUs for the API and Redis, e.g. 0-1"
    )
    if sharing:
        parser.add_argument(
            "--no-cpu-split",
            dest="cpu_split",
            action="store_false",
            help="let Locust share every CPU with the API and Redis (the run is then SUSPECT)",
        )


def cpu_split_options(args: argparse.Namespace) -> dict:
    """The LocalOptions fields the options set."""
    chosen = {"cpus_loadgen": args.cpus_loadgen, "cpus_service": args.cpus_service}
    if hasattr(args, "cpu_split"):
        chosen["cpu_split"] = args.cpu_split
    return chosen
