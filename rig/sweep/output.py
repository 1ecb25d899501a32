"""Writes a sweep's sweep.md, charts and sweep.json beside its run directories.

The one writer of both sweeps: `rig sweep` on this box and playbooks/sweep.yml on the lab
(through `rig sweep-lab write`), so their tables and recommendations cannot drift apart.
"""

from pathlib import Path

from reports import run_dir
from rig.sweep import recommend, render
from rig.sweep.grid import Point

SWEEP_MD = "sweep.md"
SWEEP_JSON = "sweep.json"


def point_fields(point: Point) -> dict:
    return {
        "label": point.label,
        "server": point.server,
        "worker_class": point.worker_class,
        "workers": point.workers,
        "threads": point.threads,
        "env": dict(point.env),
    }


def write(parent: Path, context: dict, rows: list[dict]) -> str | None:
    """sweep.md, charts/ and sweep.json in `parent`; the recommended point's label or None.

    `context`: sweep_id, scenario, load (words), objective, target_rps, skipped, failed."""
    parent = Path(parent)
    text = render.render(context, rows, parent)
    (parent / SWEEP_MD).write_text(text, encoding="utf-8")
    chosen = recommend.recommend(rows, context["objective"], context.get("target_rps"))
    label = chosen.row["label"] if chosen.row else None
    data = {**context, "rows": rows, "recommended": label, "reason": chosen.reason}
    run_dir.write_json(parent / SWEEP_JSON, data)
    return label
