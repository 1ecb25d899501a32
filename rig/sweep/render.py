"""sweep.md (Jinja2 template) and its charts: throughput and p95 per point, CPU per request."""

from pathlib import Path

import jinja2

from reports.render import cell, human
from rig.sweep import recommend

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("rig.sweep", "templates"),
    autoescape=False,  # Markdown, not HTML
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)
CHARTS_DIR = "charts"


def _number(value, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def arrival_cells(row: dict) -> tuple[str, str]:
    """(target, achieved) as the point's own summary words them; "CO" marks a shortfall below
    97 % of the target (coordinated omission)."""
    target, achieved = row.get("target_rate"), row.get("achieved_rate")
    if target is None:
        return "—", "—"
    if achieved is None:
        return f"{target:,.1f}", "unknown, CO"
    mark = ", CO" if row.get("arrival_short") else ""
    return f"{target:,.1f}", f"{achieved:,.1f} ({achieved / target:.1%}{mark})"


def table_row(rank: int, row: dict) -> dict:
    """One row as sweep.md shows it; the same rounding as the points' own summaries."""
    return {
        "rank": rank,
        # Extra settings of a point (its env) beside the server, so equal rows can be told apart.
        "server": " ".join(
            [row["server"], *(f"{k}={v}" for k, v in (row.get("env") or {}).items())]
        ),
        "worker_class": row["worker_class"] or "—",
        "workers": row["workers"],
        "threads": row["threads"] or "—",
        "rps": _number(row.get("rps"), 1),
        "target_rate": arrival_cells(row)[0],
        "achieved_rate": arrival_cells(row)[1],
        "p50": _number(row.get("p50")),
        "p95": _number(row.get("p95")),
        "p99": _number(row.get("p99")),
        "failures": _number(row.get("failures")),
        "cpu_ms": _number(row.get("api_cpu_ms_per_request"), 3),
        "per_cpu_s": _number(row.get("requests_per_api_cpu_s")),
        "rss": human(row.get("api_rss_bytes"), "bytes"),
        "redis_cpu": human(row.get("redis_cpu_percent"), "%"),
        "slo": row.get("slo") or "—",
        "validity": row.get("validity") or "—",
        "run_id": cell(row["run_id"]),
    }


def charts(rows: list[dict], out_dir: Path) -> list[tuple[str, str]]:
    """Two PNGs; none when no point has figures."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    measured = [r for r in rows if r.get("rps") is not None]
    if not measured:
        return []
    (out_dir / CHARTS_DIR).mkdir(parents=True, exist_ok=True)
    labels = [r["label"] for r in measured]
    made = []
    fig, (top, bottom) = pyplot.subplots(2, 1, figsize=(10, 7), sharex=True)
    top.bar(labels, [r["rps"] for r in measured], color="tab:blue")
    top.set_ylabel("requests/s")
    top.set_title("Throughput and p95 per point")
    bottom.bar(labels, [r.get("p95") or 0 for r in measured], color="tab:orange")
    bottom.set_ylabel("p95 ms")
    bottom.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    fig.savefig(out_dir / CHARTS_DIR / "throughput_p95.png", dpi=90)
    pyplot.close(fig)
    made.append(("Throughput and p95 per point", f"{CHARTS_DIR}/throughput_p95.png"))
    with_cpu = [r for r in measured if r.get("api_cpu_ms_per_request") is not None]
    if with_cpu:
        fig, axis = pyplot.subplots(figsize=(10, 4))
        axis.bar([r["label"] for r in with_cpu], [r["api_cpu_ms_per_request"] for r in with_cpu])
        axis.set_ylabel("API CPU ms per request")
        axis.set_title("API CPU per request per point (lower is cheaper)")
        axis.tick_params(axis="x", rotation=30)
        fig.tight_layout()
        fig.savefig(out_dir / CHARTS_DIR / "cpu_per_request.png", dpi=90)
        pyplot.close(fig)
        made.append(("API CPU per request per point", f"{CHARTS_DIR}/cpu_per_request.png"))
    return made


def render(context: dict, rows: list[dict], out_dir: Path) -> str:
    objective = context["objective"]
    chosen = recommend.recommend(rows, objective, context.get("target_rps"))
    ranked = recommend.rank(rows, objective)
    suspects = [
        {"label": r["label"], "why": "; ".join(r.get("reasons") or []) or recommend.eligible(r)}
        for r in ranked
        if recommend.eligible(r)
    ]
    return _ENV.get_template("sweep.md.j2").render(
        **context,
        objective_text=recommend.OBJECTIVES[objective][1].replace("the ", "", 1),
        recommended=chosen.row["label"] if chosen.row else "none",
        reason=chosen.reason,
        rows=[table_row(i, r) for i, r in enumerate(ranked, 1)],
        open_model=any(r.get("target_rate") is not None for r in rows),
        suspects=suspects,
        charts=charts(rows, out_dir),
    )
