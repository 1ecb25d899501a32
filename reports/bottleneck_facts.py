"""Gathers the bottleneck line's inputs (reports.bottleneck.Facts) from a run and its metrics."""

from reports import resources
from reports.bottleneck import Facts


def _averages(metrics: dict, key: str) -> dict[str, float]:
    """Average over the window of one series key, per host."""
    return {
        s["host"]: resources.summarize(s["points"])["avg"]
        for s in metrics.get("series") or []
        if s["key"] == key and s["points"]
    }


def api_cores(info: dict) -> float | None:
    """Cores the API can use on its busiest host: its worker processes, at most the host's
    cores (Gunicorn workers are single-threaded for CPU work; gevent and gthread alike)."""
    config = info.get("config") or {}
    workers = config.get("workers")
    if not isinstance(workers, int | float) or workers <= 0:
        return None
    cores = (info.get("versions") or {}).get("cpu_count")
    per_host = workers * (config.get("app_instances") or 1)
    return float(min(per_host, cores)) if isinstance(cores, int | float) and cores > 0 else per_host


def facts(
    info: dict, metrics: dict, busiest_worker_cpu: float | None, guard_flagged: bool
) -> Facts:
    hosts = info.get("hosts") or {}
    api = _averages(metrics, "api_cpu_percent")
    tiers = metrics.get("tiers") or {}
    shards = {
        name: figures["main_thread_cpu_percent"]
        for name, figures in (tiers.get("shards") or {}).items()
        if figures.get("main_thread_cpu_percent") is not None
    }
    # Without per-shard figures, each Redis host's whole-process CPU stands in for its main
    # thread (Redis does its commands on that one thread).
    redis = shards or _averages(metrics, "redis_cpu_percent")
    balancers = [b.get("cpu_percent") for b in (tiers.get("balancer") or {}).values()]
    balancers = [b for b in balancers if b is not None]
    net_in = _averages(metrics, "net_in_bytes_per_s")
    net_out = _averages(metrics, "net_out_bytes_per_s")
    capacity = {
        name: float(host["network_capacity_bytes_per_s"])
        for name, host in hosts.items()
        if host.get("network_capacity_bytes_per_s")
    }
    return Facts(
        api_cpu_percent=max(api.values()) if api else None,
        api_cores=api_cores(info),
        redis_main_thread_percent=redis,
        balancer_cpu_percent=max(balancers) if balancers else None,
        network_bytes_per_s={h: max(net_in.get(h, 0), net_out.get(h, 0)) for h in capacity},
        network_capacity_bytes_per_s=capacity,
        load_generator_cpu_percent=busiest_worker_cpu,
        load_generator_flagged=guard_flagged,
        host_cpu_percent=_averages(metrics, "cpu_percent"),
    )
