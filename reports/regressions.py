"""Which of tonight's runs regressed, for the nightly's notification.

    python -m reports.regressions RESULTS_DIR RUN_ID...            regressed runs and figures
    python -m reports.regressions --withheld RESULTS_DIR RUN_ID... those a moved canary withheld

A RUN_ID is a run directory or a repeat set (each of its runs is looked at). The verdicts are
the report's report.json (run.json's "report" for runs reported before that file existed).
One line per run with something to say: "RUN_ID: rps, p95".
"""

import argparse
import sys
from pathlib import Path

from rundir.errors import RunDirError
from rundir.files import REPORT_JSON, RUN_JSON
from rundir.load import read_json


def run_dirs(path: Path) -> list[Path]:
    """The run directory itself, or the runs of a repeat set, oldest first."""
    if (path / RUN_JSON).is_file():
        return [path]
    if not path.is_dir():
        return []
    return sorted(child for child in path.iterdir() if (child / RUN_JSON).is_file())


def verdicts(path: Path) -> dict:
    try:
        report = read_json(path / REPORT_JSON)
        if report is None:
            report = (read_json(path / RUN_JSON) or {}).get("report")
    except RunDirError:
        return {}  # an unreadable file says nothing; the night's log has the report's error
    return report if isinstance(report, dict) else {}


def lines(results_dir: Path, run_ids: list[str], key: str = "regressions") -> list[str]:
    found = []
    for run_id in run_ids:
        for path in run_dirs(Path(results_dir) / run_id):
            figures = verdicts(path).get(key) or []
            if isinstance(figures, list) and figures:
                name = path.relative_to(results_dir)
                found.append(f"{name}: {', '.join(str(f) for f in figures)}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m reports.regressions",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--withheld", action="store_true", help="list withheld regressions")
    parser.add_argument("results_dir", type=Path)
    parser.add_argument("run_ids", nargs="*")
    args = parser.parse_args(argv)
    key = "withheld" if args.withheld else "regressions"
    for line in lines(args.results_dir, args.run_ids, key):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
