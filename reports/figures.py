"""Key figures of a run (RPS, p50, p95, p99, fail ratio) from Locust's Aggregated row."""

from reports.run_dir import Run


def _number(row: dict[str, str], column: str) -> float | None:
    try:
        return float(row[column])
    except (KeyError, TypeError, ValueError):  # "N/A" when nothing was requested
        return None


def key_figures(run: Run) -> dict[str, float | None]:
    row = run.aggregated or {}
    requests = _number(row, "Request Count") or 0.0
    failures = _number(row, "Failure Count") or 0.0
    return {
        "rps": _number(row, "Requests/s"),
        "p50": _number(row, "Median Response Time"),
        "p95": _number(row, "95%"),
        "p99": _number(row, "99%"),
        "fail_ratio": failures / requests if requests else None,
        "requests": requests,
        "failures": failures,
    }
