"""PromQL for one run: which series to fetch for each host and service named in run.json."""

import re
from dataclasses import dataclass

# Jobs the rig's Prometheus configurations use (rig local and the lab's prometheus role).
JOB_NODE, JOB_REDIS, JOB_PROCESS, JOB_LOCUST = "node", "redis", "process", "locust"
JOB_APP = "app"


@dataclass(frozen=True)
class Spec:
    key: str
    scope: str  # "host" or a service name: api, redis, locust
    label: str
    unit: str  # "%", "bytes", "bytes/s", "ops/s", "" (plain number)
    job: str
    expr: str  # {SEL} = job and instance matchers, {W} = rate window


HOST_SPECS = [
    Spec("cpu_percent", "host", "CPU", "%", JOB_NODE,
         '100 * (1 - avg(rate(node_cpu_seconds_total{{mode="idle",{SEL}}}[{W}])))'),
    Spec("mem_used_bytes", "host", "memory used", "bytes", JOB_NODE,
         "sum(node_memory_MemTotal_bytes{{{SEL}}}) - sum(node_memory_MemAvailable_bytes{{{SEL}}})"),
    Spec("mem_total_bytes", "host", "memory total", "bytes", JOB_NODE,
         "sum(node_memory_MemTotal_bytes{{{SEL}}})"),
    Spec("load1", "host", "load (1 min)", "", JOB_NODE, "sum(node_load1{{{SEL}}})"),
    Spec("net_in_bytes_per_s", "host", "network in", "bytes/s", JOB_NODE,
         'sum(rate(node_network_receive_bytes_total{{{SEL},{NET}}}[{W}]))'),
    Spec("net_out_bytes_per_s", "host", "network out", "bytes/s", JOB_NODE,
         'sum(rate(node_network_transmit_bytes_total{{{SEL},{NET}}}[{W}]))'),
]  # fmt: skip


def _process_specs(group: str) -> list[Spec]:
    """process-exporter figures of one process group (named after the service)."""
    sel = f'groupname="{group}",{{SEL}}'
    return [
        Spec(f"{group}_cpu_percent", group, "CPU", "%", JOB_PROCESS,
             f"100 * sum(rate(namedprocess_namegroup_cpu_seconds_total{{{{{sel}}}}}[{{W}}]))"),
        Spec(f"{group}_rss_bytes", group, "RSS", "bytes", JOB_PROCESS,
             f'sum(namedprocess_namegroup_memory_bytes{{{{{sel},memtype="resident"}}}})'),
    ]  # fmt: skip


REDIS_SPECS = [
    Spec("redis_cpu_percent", "redis", "CPU", "%", JOB_REDIS,
         "100 * (sum(rate(redis_cpu_sys_seconds_total{{{SEL}}}[{W}]))"
         " + sum(rate(redis_cpu_user_seconds_total{{{SEL}}}[{W}])))"),
    Spec("redis_rss_bytes", "redis", "RSS", "bytes", JOB_REDIS,
         "sum(redis_memory_used_rss_bytes{{{SEL}}})"),
    Spec("redis_ops_per_s", "redis", "ops/s", "ops/s", JOB_REDIS,
         "sum(rate(redis_commands_processed_total{{{SEL}}}[{W}]))"),
    Spec("redis_used_memory_bytes", "redis", "used memory", "bytes", JOB_REDIS,
         "sum(redis_memory_used_bytes{{{SEL}}})"),
    Spec("redis_keys", "redis", "keys", "", JOB_REDIS, "sum(redis_db_keys{{{SEL}}})"),
]  # fmt: skip

# The API's own connection figures (app/metrics.py): are its connection slots the limit?
API_CONNECTION_SPECS = [
    Spec("api_open_connections", "api", "open connections", "", JOB_APP,
         "sum(rig_api_open_connections{{{SEL}}})"),
    Spec("api_connection_slots", "api", "connection slots", "", JOB_APP,
         "sum(rig_api_connection_slots{{{SEL}}})"),
    Spec("api_listen_queue", "api", "listen queue", "", JOB_APP,
         "max(rig_api_listen_queue{{{SEL}}})"),
    Spec("api_listen_queue_limit", "api", "listen queue limit", "", JOB_APP,
         "max(rig_api_listen_queue_limit{{{SEL}}})"),
]  # fmt: skip

# Which services run on a host with a given role (roles as written in run.json).
# The Locust master's exporter: CPU of the busiest load-generating process (saturation check).
LOCUST_MASTER_SPECS = [
    Spec("locust_worker_max_cpu_percent", "locust", "busiest worker CPU", "%", JOB_LOCUST,
         "max(locust_worker_cpu_percent{{{SEL}}})"),
]  # fmt: skip

ROLE_SPECS = {
    "app": _process_specs("api") + API_CONNECTION_SPECS,
    "redis": REDIS_SPECS,
    "locust": _process_specs("locust") + LOCUST_MASTER_SPECS,
    "locust_master": _process_specs("locust") + LOCUST_MASTER_SPECS,
    "locust_worker": _process_specs("locust"),
}


@dataclass(frozen=True)
class Query:
    spec: Spec
    host: str
    promql: str


def instance_matcher(name: str, host: dict, job: str) -> str:
    """Exact instance when run.json names it for the job, else the host's instance on any port.

    The lab's Prometheus labels every target with the inventory host name, which is the
    default; `instance` (or `address`) in run.json overrides it.
    """
    instances = host.get("instances") or {}
    if job in instances:
        return f'instance="{instances[job]}"'
    address = host.get("instance") or host.get("address") or name
    # A PromQL raw string (backticks), so the regex's backslashes reach Prometheus unchanged.
    return f"instance=~`{re.escape(str(address))}(:[0-9]+)?`"


def selector(name: str, host: dict, job: str) -> str:
    return f'job="{job}",{instance_matcher(name, host, job)}'


def network_matcher(host: dict) -> str:
    """Which interfaces count: run.json's network_devices / network_exclude (default: not lo)."""
    include = host.get("network_devices", ".+")
    exclude = host.get("network_exclude", "lo")
    return f'device=~"{include}",device!~"{exclude}"'


def rate_window(scrape_interval: float, step: float) -> str:
    # Four scrapes at least, so rate() always has two points even when one scrape is late.
    return f"{int(max(4 * scrape_interval, step))}s"


def plan(hosts: dict[str, dict], scrape_interval: float, step: float) -> list[Query]:
    """Every query the report runs, host by host, in a stable order."""
    window = rate_window(scrape_interval, step)
    queries = []
    for name, host in sorted(hosts.items()):
        specs = list(HOST_SPECS)
        seen = set()
        for role in host.get("roles", []):
            for spec in ROLE_SPECS.get(role, []):
                if spec.key not in seen:
                    seen.add(spec.key)
                    specs.append(spec)
        for spec in specs:
            promql = spec.expr.format(
                SEL=selector(name, host, spec.job),
                W=window,
                NET=network_matcher(host),
            )
            queries.append(Query(spec, name, promql))
    return queries
