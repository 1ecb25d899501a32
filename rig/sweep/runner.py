"""Runs a sweep: one `rig local` run per point under a parent directory, then sweep.md.

Every point gets the same load (scenario, users, spawn rate, run time, and the arrival rate
of an open-model sweep); only the API's
settings change. A point that fails to run is listed and the sweep goes on; Ctrl-C, SIGTERM
and SIGHUP stop the point's processes (rig local's own clean-up) and end the sweep.
"""

import contextlib
import os
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from rig.errors import RigError
from rig.local import bench, plan
from rig.paths import DEFAULT_RESULTS_DIR
from rig.signals import interrupt_on_signals
from rig.sweep import figures, output
from rig.sweep.grid import Grid, Point


@dataclass
class SweepOptions:
    grid: Grid
    base: plan.LocalOptions  # the load of every point; its API settings are replaced
    objective: str = "throughput"
    target_rps: float | None = None
    results_dir: Path = DEFAULT_RESULTS_DIR


@dataclass
class SweepResult:
    path: Path
    sweep_md: Path
    rows: list[dict]
    recommended: str | None


@contextlib.contextmanager
def _environment(pairs: tuple[tuple[str, str], ...]):
    """A point's extra RIG_* settings, seen by the API it starts, then put back."""
    saved = {name: os.environ.get(name) for name, _ in pairs}
    os.environ.update(dict(pairs))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _options(base: plan.LocalOptions, point: Point, parent: Path) -> plan.LocalOptions:
    return replace(
        base,
        server=point.server,
        worker_class=point.worker_class or base.worker_class,
        app_workers=point.workers,
        threads=point.threads or base.threads,
        results_dir=parent,
    )


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def run(opts: SweepOptions, out: TextIO = sys.stdout) -> SweepResult:
    points = opts.grid.points
    if not points:
        raise RigError("the grid has no point to run")
    base = opts.base
    plan.plan(replace(base, results_dir=Path(opts.results_dir)))  # bad load options fail now
    sweep_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-sweep-{base.scenario}"
    parent = Path(opts.results_dir).resolve() / sweep_id
    parent.mkdir(parents=True)
    log = parent / "points.log"
    out.write(f"sweep {sweep_id}: {len(points)} points, results in {parent}\n")
    for combo, why in opts.grid.skipped:
        out.write(f"  skipped {combo}: {why}\n")
    rows: list[dict] = []
    failed: list[tuple[str, str]] = []
    started = time.monotonic()
    with interrupt_on_signals(), log.open("a") as point_out:
        for index, point in enumerate(points, 1):
            done = time.monotonic() - started
            left = (
                f", about {_clock(done / (index - 1) * (len(points) - index + 1))} left"
                if index > 1
                else ""
            )
            out.write(f"point {index} of {len(points)}: {point.label}{left}\n")
            out.flush()
            try:
                with _environment(point.env):
                    result = bench.run(_options(base, point, parent), out=point_out)
            except RigError as exc:
                failed.append((point.label, str(exc).splitlines()[0]))
                out.write(f"  did not run: {failed[-1][1]}\n")
                continue
            row = {**output.point_fields(point), **figures.point_figures(result.run_dir)}
            rows.append(row)
            out.write(f"  {_number(row['rps'])} req/s, p95 {_number(row['p95'])} ms, "
                      f"run {row['validity']}, SLO {row['slo']}\n")  # fmt: skip
    context = {
        "sweep_id": sweep_id,
        "scenario": base.scenario,
        "load": _load_text(base),
        "objective": opts.objective,
        "target_rps": opts.target_rps,
        "skipped": opts.grid.skipped,
        "failed": failed,
    }
    recommended = output.write(parent, context, rows)
    return SweepResult(parent, parent / output.SWEEP_MD, rows, recommended)


def _number(value) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _load_text(base: plan.LocalOptions) -> str:
    users = f"{base.users} users" if base.users else "the scenario's users"
    if base.arrival_rate:
        users = f"an arrival rate of {base.arrival_rate:,g} req/s from {users}"
    run_time = f"for {base.run_time}" if base.run_time else "for the scenario's run time"
    return f"{users} {run_time}, {base.workers} Locust worker(s)"
