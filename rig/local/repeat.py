"""`rig local --repeat N`: N runs of one scenario in a parent directory, and their repeats.md."""

import dataclasses
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from reports import repeats
from rig.errors import RigError
from rig.local import bench, results
from rig.local.plan import LocalOptions, plan

MAX_REPEATS = 100  # a bound on the loop: a typo of 1000 must not occupy the box for days


@dataclasses.dataclass
class RepeatResult:
    parent: Path
    repeats_md: Path
    results: list[results.LocalResult]
    exit_code: int


def run_repeats(opts: LocalOptions, count: int, out: TextIO = sys.stdout) -> RepeatResult:
    """Run `opts` `count` times into RESULTS_DIR/REPEAT_ID/ and sum the runs up in repeats.md.

    Each repeat is a whole `rig local` run (fresh Redis, API and Locust), so the spread
    includes start-up effects as a nightly run would see them."""
    if not 2 <= count <= MAX_REPEATS:
        raise RigError(f"--repeat must be between 2 and {MAX_REPEATS} (1 is a plain run)")
    name = plan(opts).name  # a wrong scenario or option fails before the first run
    repeat_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{name}-x{count}"
    parent = Path(opts.results_dir).resolve() / repeat_id
    if parent.exists():
        raise RigError(f"{parent} already exists; wait a second and run again")
    parent.mkdir(parents=True)
    done = []
    for index in range(count):
        out.write(f"repeat {index + 1} of {count}\n")
        out.flush()
        done.append(bench.run(dataclasses.replace(opts, results_dir=parent), out))
    path = repeats.write_repeats(parent, Path(opts.results_dir).resolve())
    codes = [r.exit_code for r in done]
    failed = results.LOCUST_FAILED_EXIT
    code = failed if failed in codes else max(codes)
    return RepeatResult(parent, path, done, code)
