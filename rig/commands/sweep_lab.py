"""`rig sweep-lab`: the Python half of playbooks/sweep.yml (the lab's tuning sweep)."""

import argparse
import json
import re
from pathlib import Path

import yaml

from loadgen import runner
from rig.errors import RigError
from rig.paths import DEFAULT_RESULTS_DIR
from rig.sweep import lab, recommend

EPILOG = """Used by playbooks/sweep.yml; by hand only to rebuild a lab sweep's sweep.md:
  rig sweep-lab write results/20261201T120000Z-sweep-get_field

plan prints the points as JSON (one line) and makes RESULTS_DIR/SWEEP_ID/ with plan.json;
write reads plan.json and runs.json there and writes sweep.md, charts/ and sweep.json with
the same code as `rig sweep`. Exit status: 0; 2 on an error.
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "sweep-lab",
        help="plan a lab sweep's points, or write its sweep.md (playbooks/sweep.yml)",
        description="The points and the sweep.md of playbooks/sweep.yml.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    make = actions.add_parser("plan", help="expand a grid into points, make the sweep directory")
    make.add_argument(
        "--grid",
        required=True,
        metavar="YAML",
        help="a grid file's content ({grid: ..., points: ...}) or the dimensions alone, "
        "as YAML or JSON text",
    )
    make.add_argument("--scenario", required=True)
    make.add_argument("--users", default="", help="users of every point ('' = the scenario's)")
    make.add_argument("--run-time", default="", help="per point ('' = the scenario's)")
    make.add_argument("--objective", choices=sorted(recommend.OBJECTIVES), default="throughput")
    make.add_argument("--target-rps", type=float)
    make.add_argument("--results-dir", type=Path, default=DEFAULT_RESULTS_DIR)
    make.set_defaults(func=run_plan)
    done = actions.add_parser("write", help="write sweep.md from the sweep directory's runs")
    done.add_argument("sweep_dir", type=Path)
    done.set_defaults(func=run_write)


def run_plan(args: argparse.Namespace) -> int:
    if args.target_rps is not None and not 0 < args.target_rps < float("inf"):
        raise RigError("--target-rps must be above 0")
    try:
        data = yaml.safe_load(args.grid)
    except yaml.YAMLError as exc:
        raise RigError(f"--grid: not YAML: {exc}".splitlines()[0]) from None
    runner.scenario_settings(args.scenario)  # RigError names the known scenarios
    # The benchmark role's own rules: refused here, before any point restarts the API.
    if str(args.users) and not re.fullmatch(r"[1-9][0-9]*", str(args.users)):
        raise RigError(f"--users must be a whole number above 0 or empty, not {args.users!r}")
    if str(args.run_time) and not re.fullmatch(r"[1-9][0-9]*[smh]?", str(args.run_time)):
        raise RigError(f"--run-time must be like 20s, 5m or 1h, or empty, not {args.run_time!r}")
    users = f"{args.users} users" if str(args.users) else "the scenario's users"
    run_time = f"for {args.run_time}" if str(args.run_time) else "for the scenario's run time"
    context = {
        "scenario": args.scenario,
        "load": f"{users} {run_time}, the lab's Locust workers",
        "objective": args.objective,
        "target_rps": args.target_rps,
    }
    plan = lab.plan(lab.grid_of(data), args.results_dir, context)
    print(json.dumps(plan))
    return 0


def run_write(args: argparse.Namespace) -> int:
    recommended = lab.write(args.sweep_dir)
    print(f"recommended: {recommended or 'none'}")
    print(args.sweep_dir.resolve() / "sweep.md")
    return 0
