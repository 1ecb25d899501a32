"""One sweep point's figures, read from its own run directory (run.json and metrics.json).

RPS, percentiles, failures and verdicts are the report's (report.json); CPU and RSS are the
averages the summary's service table shows (metrics.json). CPU percent is of one core. Under
a fixed arrival rate (the open model) the target and achieved rates are the summary's too.
"""

from pathlib import Path

from reports import open_model, resources, run_dir


def _average(metrics: dict, key: str) -> float | None:
    for series in metrics.get("series") or []:
        if series.get("key") == key and series.get("points"):
            return resources.summarize(series["points"])["avg"]
    return None


def arrival(path: Path, rps: float | None) -> dict:
    """Target and achieved arrival rates and whether the point fell short of its target (the
    requests not sent would have waited longest: coordinated omission); {} for a closed model."""
    try:
        run = run_dir.load(Path(path))
    except run_dir.RunDirError:
        return {}
    target = open_model.target_rate(run)
    if target is None:
        return {}
    achieved = open_model.achieved_rate(run, rps)
    short = achieved is None or achieved < open_model.MIN_ACHIEVED * target
    return {"target_rate": target, "achieved_rate": achieved, "arrival_short": short}


def point_figures(path: Path) -> dict:
    """The row of one point; None where the run did not measure a figure."""
    info = run_dir.read_json(Path(path) / run_dir.RUN_JSON) or {}
    metrics = run_dir.read_json(Path(path) / run_dir.METRICS_JSON) or {}
    report = run_dir.read_json(Path(path) / run_dir.REPORT_JSON) or {}
    key = report.get("figures") or {}
    rps = key.get("rps")
    api_cpu = _average(metrics, "api_cpu_percent")
    cores = api_cpu / 100 if api_cpu is not None else None
    per_cpu_s = rps / cores if rps and cores else None
    return {
        "run_id": info.get("run_id") or Path(path).name,
        "rps": rps,
        "p50": key.get("p50"),
        "p95": key.get("p95"),
        "p99": key.get("p99"),
        "failures": key.get("failures"),
        "fail_ratio": key.get("fail_ratio"),
        "api_cpu_percent": api_cpu,
        "api_cpu_ms_per_request": 1000 / per_cpu_s if per_cpu_s else None,
        "requests_per_api_cpu_s": per_cpu_s,
        "api_rss_bytes": _average(metrics, "api_rss_bytes"),
        "redis_cpu_percent": _average(metrics, "redis_cpu_percent"),
        "slo": report.get("slo"),
        "validity": report.get("validity"),
        "reasons": list(report.get("validity_reasons") or []),
        **arrival(path, rps),
    }
