"""Liveness, readiness and the Prometheus metrics endpoint."""

import redis
from flask import Blueprint, Response, current_app

from app import metrics
from app.cluster import ClusterConnections, probe_primaries
from app.jsonbody import dumps
from app.responses import bytes_response

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> Response:
    return bytes_response(b'{"status":"ok"}')


@blueprint.get("/readyz")
def readyz() -> Response:
    """Ready when Redis answers and knows JSON commands (a read of a key under our prefix)."""
    stores = current_app.extensions["rig_stores"].ensure()
    if isinstance(stores.redis, ClusterConnections):
        return _cluster_ready(stores.redis)
    try:
        stores.redis.call("JSON.TYPE", f"{stores.prefix}readyz")
    except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError) as exc:
        return _not_ready(f"Redis is unreachable: {exc}")
    except redis.ResponseError as exc:
        return _not_ready(f"Redis has no JSON module (JSON.TYPE failed: {exc})")
    return bytes_response(b'{"status":"ready"}')


def _cluster_ready(cluster: ClusterConnections) -> Response:
    """Ready while any primary serves: a stopped shard fails only its own keys (503 for those),
    so a load balancer must not take every API instance out because of it."""
    try:
        ready, unreachable, no_json = probe_primaries(cluster)
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        return _not_ready(f"Redis Cluster is unreachable: {exc}")
    if no_json:
        return _not_ready(f"Redis Cluster nodes without the JSON module: {', '.join(no_json)}")
    if not ready:
        return _not_ready(f"no Redis Cluster primary answers: {'; '.join(unreachable)}")
    body = {"status": "ready", "primaries": len(ready) + len(unreachable)}
    if unreachable:
        body["unreachable"] = unreachable
    return bytes_response(dumps(body))


def _not_ready(reason: str) -> Response:
    body = dumps({"status": "not_ready", "error": {"code": "not_ready", "message": reason}})
    return bytes_response(body, 503)


@blueprint.get("/metrics")
def prometheus_metrics() -> Response:
    body, content_type = metrics.exposition()
    return bytes_response(body, content_type=content_type)
