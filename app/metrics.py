"""The API's Prometheus metrics, correct across Gunicorn worker processes.

Under Gunicorn, app/gunicorn.conf.py sets PROMETHEUS_MULTIPROC_DIR before any worker starts;
each worker then writes its values to files there and /metrics sums them.
"""

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter(
    "rig_api_requests_total", "HTTP requests answered, by endpoint and status",
    ["method", "endpoint", "status"],
)  # fmt: skip
LATENCY = Histogram(
    "rig_api_request_duration_seconds", "Time to answer a request, in the worker",
    ["method", "endpoint"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)  # fmt: skip
REDIS_ERRORS = Counter("rig_api_redis_errors_total", "Redis errors seen by the API", ["error"])


# labels() takes a lock and builds a key on every call; the children are kept instead.
_children: dict[tuple[str, str, int], tuple] = {}


def observe(method: str, endpoint: str, status: int, seconds: float) -> None:
    key = (method, endpoint, status)
    children = _children.get(key)
    if children is None:
        children = _children[key] = (
            REQUESTS.labels(method, endpoint, str(status)),
            LATENCY.labels(method, endpoint),
        )
    children[0].inc()
    children[1].observe(seconds)


def redis_error(name: str) -> None:
    REDIS_ERRORS.labels(name).inc()


def exposition() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST
