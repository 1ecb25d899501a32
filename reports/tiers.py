"""The scale-out tiers of a run: the load balancer per backend and Redis per shard.

Figures come from Prometheus over the run's window: HAProxy's built-in exporter (job
`haproxy`, on hosts with the role `loadbalancer`) and redis_exporter (job `redis`, one series
per node: the `shard` label when the scrape configuration sets one, else `instance`). They are
kept in metrics.json under "tiers" as averages (keys and memory: the last value), so a report
rebuilt later without Prometheus shows the same sections.
"""

from dataclasses import dataclass

from reports import prometheus, queries

JOB_HAPROXY = "haproxy"
BACKEND = 'proxy="app"'


@dataclass(frozen=True)
class TierQuery:
    tier: str  # "backends", "balancer", "shards"
    key: str
    role: str  # run.json role of the hosts it is asked for
    job: str
    stat: str  # "avg" or "last" over the window
    expr: str  # {SEL} = job and instance matchers, {W} = rate window


# {SEL} and {W} are replaced (not str.format: PromQL is full of braces).
_BY_SHARD = "sum by (instance, shard)"
_APP = 'proxy="app",{SEL}'
QUERIES = [
    TierQuery("backends", "requests_per_s", "loadbalancer", JOB_HAPROXY, "avg",
              "sum by (server) (rate(haproxy_server_http_responses_total{" + _APP + "}[{W}]))"),
    TierQuery("backends", "errors_5xx_per_s", "loadbalancer", JOB_HAPROXY, "avg",
              "sum by (server) (rate(haproxy_server_http_responses_total{" + _APP
              + ',code="5xx"}[{W}]))'),
    TierQuery("backends", "response_ms", "loadbalancer", JOB_HAPROXY, "avg",
              "1000 * avg by (server) "
              "(haproxy_server_response_time_average_seconds{" + _APP + "})"),
    TierQuery("balancer", "cpu_percent", "loadbalancer", JOB_HAPROXY, "avg",
              "100 - avg(haproxy_process_idle_time_percent{{SEL}})"),
    TierQuery("balancer", "added_ms", "loadbalancer", JOB_HAPROXY, "avg",
              "1000 * (avg(haproxy_backend_queue_time_average_seconds{" + _APP + "})"
              " + avg(haproxy_backend_connect_time_average_seconds{" + _APP + "}))"),
    TierQuery("shards", "ops_per_s", "redis", queries.JOB_REDIS, "avg",
              _BY_SHARD + " (rate(redis_commands_processed_total{{SEL}}[{W}]))"),
    TierQuery("shards", "main_thread_cpu_percent", "redis", queries.JOB_REDIS, "avg",
              "100 * " + _BY_SHARD + " (rate(redis_cpu_sys_main_thread_seconds_total{{SEL}}[{W}])"
              " + rate(redis_cpu_user_main_thread_seconds_total{{SEL}}[{W}]))"),
    TierQuery("shards", "used_memory_bytes", "redis", queries.JOB_REDIS, "last",
              _BY_SHARD + " (redis_memory_used_bytes{{SEL}})"),
    TierQuery("shards", "keys", "redis", queries.JOB_REDIS, "last",
              _BY_SHARD + " (redis_db_keys{{SEL}})"),
]  # fmt: skip


def promql(query: TierQuery, selector: str, window: str) -> str:
    return query.expr.replace("{SEL}", selector).replace("{W}", window)


def member_name(labels: dict[str, str], host: str, tier: str) -> str:
    """Which backend or shard a series belongs to."""
    if tier == "backends":
        return labels.get("server") or host
    if tier == "shards":
        return labels.get("shard") or labels.get("instance") or host
    return host


def _stat(points: list[tuple[float, float]], stat: str) -> float | None:
    if not points:
        return None
    values = [v for _t, v in points]
    return values[-1] if stat == "last" else sum(values) / len(values)


def collect(hosts: dict, url: str, start: float, end: float, step: float, window: str) -> dict:
    """{"backends": {name: {...}}, "balancer": {host: {...}}, "shards": {name: {...}}}."""
    tiers: dict[str, dict[str, dict]] = {"backends": {}, "balancer": {}, "shards": {}}
    for query in QUERIES:
        for name, host in sorted(hosts.items()):
            if query.role not in host.get("roles", []):
                continue
            text = promql(query, queries.selector(name, host, query.job), window)
            try:
                result = prometheus.query_range(url, text, start, end, step)
            except prometheus.PrometheusError:
                continue  # the section then shows what it has; resources lists the gaps
            for labels, points in result:
                value = _stat(points, query.stat)
                if value is not None:
                    member = tiers[query.tier].setdefault(member_name(labels, name, query.tier), {})
                    member[query.key] = value
    return tiers


def evenness(values: list[float]) -> float | None:
    """min/max of a spread (1.0 = perfectly even); None with fewer than two members."""
    values = [v for v in values if v is not None]
    if len(values) < 2 or max(values) <= 0:
        return None
    return min(values) / max(values)


def backend_rows(tiers: dict) -> list[dict]:
    backends = tiers.get("backends") or {}
    total = sum(b.get("requests_per_s") or 0 for b in backends.values())
    return [
        {
            "name": name,
            "requests_per_s": b.get("requests_per_s"),
            "share_percent": 100 * (b.get("requests_per_s") or 0) / total if total else None,
            "response_ms": b.get("response_ms"),
            "errors_5xx_per_s": b.get("errors_5xx_per_s"),
        }
        for name, b in sorted(backends.items())
    ]


def shard_rows(tiers: dict) -> list[dict]:
    shards = tiers.get("shards") or {}
    return [{"name": name, **figures} for name, figures in sorted(shards.items())]


def summary(tiers: dict) -> dict:
    """What the report's sections show, computed from metrics.json's "tiers"."""
    backends, shards = backend_rows(tiers), shard_rows(tiers)
    balancers = tiers.get("balancer") or {}
    return {
        "backends": backends,
        "backend_evenness": evenness([b["requests_per_s"] for b in backends]),
        "balancers": [{"host": h, **figures} for h, figures in sorted(balancers.items())],
        "shards": shards if len(shards) > 1 else [],
        "key_evenness": evenness([s.get("keys") for s in shards]),
        "ops_evenness": evenness([s.get("ops_per_s") for s in shards]),
    }
