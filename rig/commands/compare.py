"""`rig compare RUN_A RUN_B`: key figures of two runs side by side, B judged against A."""

import argparse
from pathlib import Path

from reports import compare, figures, run_dir
from rig.errors import RigError

EPILOG = """examples:
  rig compare results/20251125T010000Z-post_15k results/20251126T010000Z-post_15k

A figure worse by 5 % or more in RUN_B than in RUN_A is marked REGRESSION.
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="compare the key figures of two runs",
        description="Print RPS, p50, p95, p99 and fail ratio of two runs with the change in %.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_a", type=Path, metavar="RUN_A", help="the baseline run directory")
    parser.add_argument("run_b", type=Path, metavar="RUN_B", help="the run to judge")
    parser.set_defaults(func=run)


def table(run_a: run_dir.Run, run_b: run_dir.Run) -> str:
    results = compare.compare_all([figures.key_figures(run_a)], figures.key_figures(run_b))
    header = ("Figure", run_a.run_id, run_b.run_id, "Delta", "Status")
    rows = [
        (
            c.metric.label,
            compare.format_value(c.metric, c.baseline),
            compare.format_value(c.metric, c.value),
            compare.format_delta(c),
            c.status,
        )
        for c in results
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    head = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    return "\n".join([head, *lines]).rstrip()


def run(args: argparse.Namespace) -> int:
    try:
        run_a = run_dir.load(args.run_a, with_history=False)
        run_b = run_dir.load(args.run_b, with_history=False)
    except run_dir.RunDirError as exc:
        raise RigError(str(exc)) from None
    if run_a.scenario != run_b.scenario:
        print(f"note: different scenarios ({run_a.scenario} vs {run_b.scenario})")
    print(table(run_a, run_b))
    return 0
