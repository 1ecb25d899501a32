"""A small Prometheus HTTP API client: range queries over a run's window, errors explained."""

import requests


class PrometheusError(Exception):
    """Prometheus could not answer; the message says why (unreachable, bad query, ...)."""


def query_range(
    url: str, query: str, start: float, end: float, step: float, timeout: float = 10.0
) -> list[tuple[dict[str, str], list[tuple[float, float]]]]:
    """Run a range query; returns (labels, [(t, value), ...]) per series, NaNs dropped."""
    try:
        response = requests.get(
            url.rstrip("/") + "/api/v1/query_range",
            params={"query": query, "start": start, "end": end, "step": step},
            timeout=timeout,
        )
    except requests.RequestException as exc:
        reason = exc.__class__.__name__
        raise PrometheusError(f"cannot reach Prometheus at {url}: {reason}") from exc
    try:
        body = response.json()
    except ValueError:
        raise PrometheusError(
            f"Prometheus at {url} answered HTTP {response.status_code} without JSON"
        ) from None
    if body.get("status") != "success":
        raise PrometheusError(f"Prometheus rejected the query: {body.get('error', body)}")
    series = []
    for item in body["data"]["result"]:
        values = item["values"]
        points = [(float(t), float(v)) for t, v in values if v not in ("NaN", "+Inf", "-Inf")]
        series.append((item["metric"], points))
    return series


def reachable(url: str, timeout: float = 3.0) -> str | None:
    """None when Prometheus answers its build-info endpoint, else the reason it does not."""
    try:
        response = requests.get(url.rstrip("/") + "/api/v1/status/buildinfo", timeout=timeout)
    except requests.RequestException as exc:
        return f"cannot reach Prometheus at {url}: {exc.__class__.__name__}"
    if response.status_code != 200:
        return f"Prometheus at {url} answered HTTP {response.status_code}"
    return None
