"""`rig report RUN_DIR [--prometheus URL]`: (re)build a run's summary.md, charts and index.md."""

import argparse
from pathlib import Path

from reports import build, repeats, run_dir
from rig.errors import RigError

EPILOG = """examples:
  rig report results/20251126T233320Z-post_15k
  rig report results/RUN_ID --prometheus http://10.0.0.5:9090   query the lab's Prometheus
  rig report results/RUN_ID --results-dir results                compare with runs kept there
  rig report results/REPEAT_ID                                   a repeat set: its repeats.md

Without --prometheus the host figures come from the run's psutil samples or its earlier
metrics.json; what cannot be had is listed under "Missing data" in the summary.
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "report",
        help="build summary.md, charts and index.md for a run directory",
        description="Build a run's Markdown report from its directory and, optionally, the "
        "Prometheus that watched the run.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a results/RUN_ID directory")
    parser.add_argument("--prometheus", metavar="URL", help="Prometheus to query for the window")
    parser.add_argument(
        "--results-dir",
        type=Path,
        help="where earlier runs and index.md live (default: RUN_DIR's parent)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if repeats.is_repeat_set(args.run_dir):
        try:
            print(repeats.write_repeats(args.run_dir, args.results_dir))
        except run_dir.RunDirError as exc:
            raise RigError(str(exc)) from None
        return 0
    try:
        report = build.build(args.run_dir, args.prometheus, args.results_dir)
    except run_dir.RunDirError as exc:
        raise RigError(str(exc)) from None
    for gap in report.missing:
        print(f"missing: {gap['what']}: {gap['why']}")
    verdicts = report.verdicts
    print(f"SLO {verdicts['slo']}, run {verdicts['validity']}")
    print(report.summary)
    return 0
