"""Resource series over a run's window, from Prometheus (query_range) or the psutil samples.

Both paths give the same structure, which the report keeps as metrics.json:
{"source", "detail", "start", "end", "step", "series": [{"key", "scope", "host", "label",
"unit", "points": [[t, v], ...]}], "missing": [{"what", "why"}]}
"""

import math
from pathlib import Path

from reports import prometheus, queries
from reports.run_dir import METRICS_JSON, SAMPLES_CSV, Run, read_csv, read_json

DEFAULT_SCRAPE_INTERVAL = 15.0
MAX_POINTS = 400  # per series; Prometheus refuses more than 11,000 and charts need far fewer

SPECS_BY_KEY = {
    spec.key: spec
    for spec in queries.HOST_SPECS
    + queries.REDIS_SPECS
    + [s for specs in queries.ROLE_SPECS.values() for s in specs]
}


def step_for(duration: float, scrape_interval: float) -> float:
    return float(max(scrape_interval, math.ceil(duration / MAX_POINTS)))


def _series(spec: queries.Spec, host: str, points: list) -> dict:
    return {
        "key": spec.key,
        "scope": spec.scope,
        "host": host,
        "label": spec.label,
        "unit": spec.unit,
        "points": [[round(t, 3), v] for t, v in points],
    }


def _empty(run: Run, source: str, detail: str, step: float | None = None) -> dict:
    return {
        "source": source,
        "detail": detail,
        "start": run.start,
        "end": run.end,
        "step": step,
        "series": [],
        "missing": [],
    }


def from_prometheus(run: Run, url: str) -> dict:
    monitoring = run.info.get("monitoring") or {}
    scrape = float(monitoring.get("scrape_interval", DEFAULT_SCRAPE_INTERVAL))
    step = step_for(run.end - run.start, scrape)
    metrics = _empty(run, "prometheus", url, step)
    hosts = run.info.get("hosts") or {}
    if not hosts:
        metrics["missing"].append(
            {"what": "host and service figures", "why": "run.json names no hosts"}
        )
        return metrics
    why = prometheus.reachable(url)
    if why:
        metrics["missing"].append({"what": "host and service figures", "why": why})
        return metrics
    for query in queries.plan(hosts, scrape, step):
        what = f"{query.spec.scope} {query.spec.label} on {query.host}"
        try:
            result = prometheus.query_range(url, query.promql, run.start, run.end, step)
        except prometheus.PrometheusError as exc:
            metrics["missing"].append({"what": what, "why": str(exc)})
            continue
        points = [p for _labels, pts in result for p in pts]
        if not points:
            metrics["missing"].append(
                {"what": what, "why": f"no samples in the run's window for `{query.promql}`"}
            )
            continue
        metrics["series"].append(_series(query.spec, query.host, sorted(points)))
    return metrics


def from_samples(run: Run, path: Path) -> dict:
    """The psutil sampler's CSV: one row per sample, one column per series key."""
    rows = read_csv(path)
    metrics = _empty(run, "psutil", f"psutil sampler ({path.name})")
    if not rows:
        metrics["missing"].append({"what": "host and service figures", "why": f"{path} is empty"})
        return metrics
    host = rows[0].get("host", "local")
    for key in rows[0]:
        spec = SPECS_BY_KEY.get(key)
        if spec is None:
            continue
        points = []
        for row in rows:
            try:
                t, v = float(row["time"]), float(row[key])
            except (KeyError, TypeError, ValueError):  # empty cell: not measurable then
                continue
            if run.start <= t <= run.end:
                points.append((t, v))
        if points:
            metrics["series"].append(_series(spec, host, points))
        else:
            metrics["missing"].append(
                {"what": f"{spec.scope} {spec.label} on {host}", "why": "no samples in the window"}
            )
    return metrics


def collect(run: Run, prometheus_url: str | None = None) -> dict:
    """Prometheus when a URL is given, else the psutil samples, else an earlier metrics.json,
    else the Prometheus that run.json names (monitoring.prometheus)."""
    if prometheus_url:
        return from_prometheus(run, prometheus_url)
    samples = run.path / SAMPLES_CSV
    if samples.is_file():
        return from_samples(run, samples)
    previous = read_json(run.path / METRICS_JSON)
    if previous and previous.get("series"):
        return previous
    named = (run.info.get("monitoring") or {}).get("prometheus")
    if named:
        return from_prometheus(run, str(named))
    metrics = _empty(run, "none", "no Prometheus URL given and no samples in the run directory")
    metrics["missing"].append(
        {
            "what": "host and service figures",
            "why": "no --prometheus URL was given and the run directory has no "
            f"{SAMPLES_CSV} or {METRICS_JSON}",
        }
    )
    return metrics


def summarize(points: list) -> dict[str, float]:
    values = [v for _t, v in points]
    return {"avg": sum(values) / len(values), "max": max(values), "last": values[-1]}
