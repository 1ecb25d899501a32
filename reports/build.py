"""Builds one run's report: metrics.json, charts/*.png, summary.md, report.json, index.md."""

from dataclasses import dataclass
from pathlib import Path

from reports import (
    bottleneck,
    bottleneck_facts,
    capacity,
    chart_set,
    compare,
    connection_limits,
    figures,
    history,
    queries,
    render,
    resources,
    run_dir,
    tiers,
    verdict,
)


@dataclass
class Report:
    summary: Path
    index: Path
    verdicts: dict
    missing: list[dict]


def _busiest_worker_cpu(metrics: dict) -> float | None:
    """Average over the run of the busiest worker's CPU: sustained load, not one spike."""
    values = [
        resources.summarize(s["points"])["avg"]
        for s in metrics["series"]
        if s["key"] == "locust_worker_max_cpu_percent" and s["points"]
    ]
    return max(values) if values else None


def _tiers(run: run_dir.Run, metrics: dict) -> dict:
    """Per-backend and per-shard figures from the same Prometheus, over the same window."""
    scrape = float((run.info.get("monitoring") or {}).get("scrape_interval", 15))
    step = metrics.get("step") or scrape
    window = queries.rate_window(scrape, step)
    hosts = run.info.get("hosts") or {}
    return tiers.collect(hosts, metrics["detail"], run.start, run.end, step, window)


def build(path: Path, prometheus_url: str | None = None, results_dir: Path | None = None) -> Report:
    """Build the report of the run in `path`; earlier runs are looked up in `results_dir`."""
    run = run_dir.load(Path(path))
    results_dir = Path(results_dir) if results_dir else run.path.parent
    metrics = resources.collect(run, prometheus_url)
    if metrics["source"] == "prometheus" and "tiers" not in metrics:
        metrics["tiers"] = _tiers(run, metrics)
    # Chart gaps are listed with the metric gaps but not stored in metrics.json, which a
    # later rebuild may reuse.
    missing = list(metrics["missing"])
    try:
        answer = capacity.load(run)
    except capacity.CapacityError as exc:
        answer = None
        missing.append({"what": "capacity answer", "why": str(exc)})
    chart_links = chart_set.draw(run, metrics, missing, answer)

    current = figures.key_figures(run)
    # The whole history: the change-point detector judges against all of it.
    earlier = history.earlier_runs(run, results_dir, limit=None)
    comparisons = (
        compare.compare_all([figures.key_figures(r) for r in earlier], current) if earlier else []
    )
    slo, slo_lines = verdict.slo_verdict(run)
    busiest = _busiest_worker_cpu(metrics)
    validity, reasons = verdict.validity(run, current, busiest, metrics)
    guard = bool(((run.slo or {}).get("load_generator") or {}).get("flagged"))
    verdicts = {
        "slo": slo,
        "slo_lines": slo_lines,
        "validity": validity,
        "validity_reasons": reasons,
        "bottleneck": bottleneck.line(
            bottleneck_facts.facts(run.info, metrics, busiest, guard),
            named=connection_limits.bottlenecks(
                metrics, ((run.info or {}).get("config") or {}).get("server")
            ),
        ),
    }

    run_dir.write_json(run.path / run_dir.METRICS_JSON, metrics)
    baseline_ids = [r.run_id for r in earlier[-compare.BASELINE_RUNS :]]
    text = render.render_summary(
        run,
        metrics,
        verdicts,
        comparisons,
        baseline_ids,
        chart_links,
        missing,
        capacity=answer,
        earlier_runs=len(earlier),
    )
    summary = run.path / run_dir.SUMMARY_MD
    summary.write_text(text, encoding="utf-8")

    # The report's own file: run.json is its input and stays as the run's writer left it.
    run.report = {
        **verdicts,
        "figures": current,
        "regressions": [c.metric.key for c in comparisons if c.status == "REGRESSION"],
        "judged_by": compare.rule_of(comparisons),
    }
    if answer:
        run.report["capacity"] = {
            "last_held_users": answer.last_held.users if answer.last_held else None,
            "first_broke_users": answer.first_broke.users if answer.first_broke else None,
            "knee_users": answer.knee.users if answer.knee else None,
        }
    run_dir.write_json(run.path / run_dir.REPORT_JSON, run.report)
    index = history.write_index(results_dir)
    return Report(summary, index, verdicts, missing)
