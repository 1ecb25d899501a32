"""`rig compare A B`: key figures of two runs or repeat sets, B judged against known noise."""

import argparse
from pathlib import Path

from reports import compare, pair, run_dir
from rig.errors import RigError

EPILOG = """examples:
  rig compare results/20251125T010000Z-post_15k results/20251126T010000Z-post_15k
  rig compare results/REPEAT_A results/REPEAT_B      two `rig local --repeat N` sets
  rig compare A B --results-dir results              take the noise from runs kept there

A difference is judged only against the noise the rig knows: the spread of the repeats of
A and B (median against median), else the spread of the last runs of the scenario on the
same bench (A's siblings, or --results-dir). B is a REGRESSION or an improvement when it
differs from A by more than 2 standard errors; without a noise figure (a repeat set or 3
runs of history) the difference is printed and called unjudged.
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="compare the key figures of two runs or repeat sets",
        description="Print RPS, p50, p95, p99 and fail ratio of two runs (or repeat sets) with "
        "the change in % and whether it stands out from the noise.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_a", type=Path, metavar="A", help="the baseline run or repeat set")
    parser.add_argument("run_b", type=Path, metavar="B", help="the run or repeat set to judge")
    parser.add_argument(
        "--results-dir", type=Path, help="where the scenario's history lives (default: A's parent)"
    )
    parser.set_defaults(func=run)


def _name(runs: list[run_dir.Run], path: Path) -> str:
    return runs[0].run_id if len(runs) == 1 else f"{path.name} (median of {len(runs)})"


def table(name_a: str, name_b: str, results: list[pair.PairResult]) -> str:
    header = ("Figure", name_a, name_b, "Delta", "Noise", "Status")
    rows = [
        (
            r.metric.label,
            compare.format_value(r.metric, r.a),
            compare.format_value(r.metric, r.b),
            "n/a" if r.delta_pct is None else f"{r.delta_pct:+.1f} %",
            "—" if r.margin_pct is None else f"±{r.margin_pct:.1f} %",
            r.status,
        )
        for r in results
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    head = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    return "\n".join(line.rstrip() for line in [head, *lines])


def run(args: argparse.Namespace) -> int:
    try:
        runs_a, runs_b, results, sources = pair.compare_sets(
            args.run_a, args.run_b, args.results_dir
        )
    except (run_dir.RunDirError, OSError) as exc:
        raise RigError(str(exc)) from None
    if runs_a[0].scenario != runs_b[0].scenario:
        print(
            f"note: different scenarios ({runs_a[0].scenario} vs {runs_b[0].scenario}); "
            "the history of neither is a noise figure for both"
        )
    print(table(_name(runs_a, args.run_a), _name(runs_b, args.run_b), results))
    used = sorted({s for s, r in zip(sources, results, strict=True) if r.status != "n/a"})
    if used == ["none"]:
        print(
            "noise: none known (no repeats, fewer than "
            f"{pair.MIN_NOISE_RUNS} runs of history): the difference is unjudged; "
            "run `rig local --repeat 3` for each side, or keep a history"
        )
    else:
        print("noise: " + "; ".join(used))
    return 0
