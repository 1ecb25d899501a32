"""The lab's sweep (playbooks/sweep.yml): the points to run and, once the benchmark role has
run them, sweep.md from their run directories, with the code `rig sweep` uses.

`plan` makes the sweep directory and writes plan.json (the points, the skipped combinations,
the load in words, the objective); the playbook adds runs.json (each point's run id, or why it
did not run) and `write` reads both.
"""

import re
from datetime import UTC, datetime
from pathlib import Path

from reports import run_dir
from rig.errors import RigError
from rig.sweep import figures, output
from rig.sweep import grid as sweep_grid

PLAN_JSON = "plan.json"
RUNS_JSON = "runs.json"
_RUN_ID = re.compile(r"^[A-Za-z0-9_.-]+$")


def grid_of(data) -> sweep_grid.Grid:
    """The playbook's `sweep_grid`: a grid file's mapping (`grid:`, `points:`) or, for short,
    the dimensions themselves ({server: [...], workers: [...]})."""
    if not data:
        raise RigError("give a grid: sweep_grid (a mapping) or sweep_grid_file")
    if isinstance(data, dict) and not set(data) & {"grid", "points"}:
        data = {"grid": data}
    dimensions, extra = sweep_grid.from_data(data, "sweep_grid")
    return sweep_grid.expand(dimensions, extra)


def plan(grid: sweep_grid.Grid, results_dir: Path, context: dict) -> dict:
    """Makes RESULTS_DIR/SWEEP_ID/ with plan.json; returns the plan the playbook loops over."""
    if not grid.points:
        raise RigError("the grid has no point to run")
    sweep_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-sweep-{context['scenario']}"
    path = Path(results_dir).resolve() / sweep_id
    path.mkdir(parents=True)
    data = {
        **context,
        "sweep_id": sweep_id,
        "path": str(path),
        "points": [output.point_fields(p) for p in grid.points],
        "skipped": grid.skipped,
    }
    run_dir.write_json(path / PLAN_JSON, data)
    return data


def _runs(path: Path, points: list[dict]) -> dict[str, dict]:
    runs = run_dir.read_json(path / RUNS_JSON) or {}
    entries = runs.get("runs") if isinstance(runs, dict) else None
    if not isinstance(entries, list):
        raise RigError(f'{path / RUNS_JSON}: expected {{"runs": [...]}}')
    labels = {p["label"] for p in points}
    found = {}
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("label") not in labels:
            raise RigError(f"{path / RUNS_JSON}: {entry!r} is not a point of the plan")
        run_id = entry.get("run_id")
        if run_id is not None and not (isinstance(run_id, str) and _RUN_ID.match(run_id)):
            raise RigError(f"{path / RUNS_JSON}: {run_id!r} is not a run id")
        found[entry["label"]] = entry
    return found


def write(path: Path) -> str | None:
    """sweep.md, charts/ and sweep.json beside the runs; the recommended label or None."""
    path = Path(path)
    data = run_dir.read_json(path / PLAN_JSON)
    if not data:
        raise RigError(f"{path} has no {PLAN_JSON}: not a sweep directory made by sweep-lab plan")
    runs = _runs(path, data["points"])
    rows, failed = [], []
    for point in data["points"]:
        entry = runs.get(point["label"]) or {"error": "not run"}
        run_id = entry.get("run_id")
        if not run_id or not (path / run_id / run_dir.RUN_JSON).is_file():
            failed.append((point["label"], str(entry.get("error") or "no run directory")))
            continue
        rows.append({**point, **figures.point_figures(path / run_id)})
    context = {k: data[k] for k in ("sweep_id", "scenario", "load", "objective", "target_rps")}
    context.update(skipped=[tuple(s) for s in data["skipped"]], failed=failed)
    return output.write(path, context, rows)
