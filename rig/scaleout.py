"""The scale-out tiers of a one-box run: one Redis or a local cluster, one API instance or N
behind a local HAProxy (`rig local --redis-cluster N --app-instances N`).

`rig local` asks this module for its data tier and app tier and gets back what it needs to
run Locust and watch the run: the target URL, the settings the API needs, the PIDs of each
tier, the roles to write in run.json and extra Prometheus scrape jobs (HAProxy's exporter,
redis_exporter once per shard through its multi-target /scrape endpoint).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rig import haproxy, redis_cluster, redis_server, serve
from rig.errors import RigError

MAX_APP_INSTANCES = 16


@dataclass
class DataTier:
    """One Redis with the JSON module, or the primaries of a local cluster."""

    nodes: list[redis_server.JsonRedis]
    cluster: redis_cluster.JsonRedisCluster | None = None

    @property
    def url(self) -> str:
        return self.nodes[0].url

    @property
    def ports(self) -> list[int]:
        return [node.port for node in self.nodes]

    @property
    def pids(self) -> list[int]:
        return [node.process.pid for node in self.nodes]

    @property
    def api_settings(self) -> dict[str, str]:
        return {"RIG_REDIS_CLUSTER": "1"} if self.cluster else {}

    def describe(self) -> str:
        binary = self.nodes[0].binary.name
        if self.cluster:
            return f"Redis Cluster of {len(self.nodes)} primaries on {self.url} ... ({binary})"
        return f"Redis {self.url} ({binary})"

    def died(self) -> list[str]:
        return [
            f"Redis on port {node.port} exited during the run (code {node.process.poll()}); "
            f"see logs/{'redis-' + str(node.port) if self.cluster else 'redis'}.log"
            for node in self.nodes
            if node.process.poll() is not None
        ]

    def stop(self) -> None:
        if self.cluster:
            self.cluster.stop()
        else:
            self.nodes[0].stop()


def start_data_tier(primaries: int | None, log_dir: Path) -> DataTier:
    """One Redis (primaries None or 0) or a cluster of `primaries` on free ports."""
    if not primaries:
        return DataTier([redis_server.start(log_path=log_dir / "redis.log")])
    cluster = redis_cluster.start(primaries, log_dir=log_dir)
    return DataTier(cluster.nodes, cluster)


@dataclass
class AppTier:
    """The API instances and, with more than one, the HAProxy in front of them."""

    apis: list[serve.RunningApi]
    balancer: haproxy.RunningHaproxy | None = None
    stopped: bool = field(default=False)

    @property
    def target(self) -> str:
        return self.balancer.url if self.balancer else self.apis[0].url

    @property
    def api_pids(self) -> list[int]:
        return [api.process.pid for api in self.apis]

    def describe(self) -> str:
        if not self.balancer:
            return f"API {self.apis[0].url}"
        backends = ", ".join(api.url for api in self.apis)
        return (
            f"HAProxy {self.balancer.url} in front of {len(self.apis)} API instances ({backends})"
        )

    def died(self) -> list[str]:
        several = len(self.apis) > 1
        found = [
            f"the API{f' instance {index + 1}' if several else ''} (Gunicorn) exited during the "
            f"run (code {api.process.poll()}); see logs/api{f'-{index + 1}' if several else ''}.log"
            for index, api in enumerate(self.apis)
            if api.process.poll() is not None
        ]
        if self.balancer and self.balancer.process.poll() is not None:
            code = self.balancer.process.poll()
            found.append(f"HAProxy exited during the run (code {code}); see logs/haproxy.log")
        return found

    def stop(self) -> None:
        if self.balancer:
            self.balancer.stop()
        for api in self.apis:
            api.stop()


def check_instances(instances: int) -> None:
    if not 1 <= instances <= MAX_APP_INSTANCES:
        raise RigError(f"--app-instances must be 1 to {MAX_APP_INSTANCES}, not {instances}")
    if instances > 1:
        haproxy.binary()  # a clear error before anything starts


def start_app_tier(
    instances: int,
    start_api: Callable[[int, Path], serve.RunningApi],
    work_dir: Path,
    log_dir: Path,
) -> AppTier:
    """`instances` APIs from start_api(index, log); HAProxy in front when there are several.

    On any failure every instance already started is stopped before the error goes up.
    """
    check_instances(instances)
    tier = AppTier([])
    try:
        for index in range(instances):
            name = "api.log" if instances == 1 else f"api-{index + 1}.log"
            tier.apis.append(start_api(index, log_dir / name))
        if instances > 1:
            backends = [
                haproxy.Backend(f"app{i + 1}", "127.0.0.1", api.port)
                for i, api in enumerate(tier.apis)
            ]
            tier.balancer = haproxy.start(
                backends, work_dir / "haproxy", log_path=log_dir / "haproxy.log"
            )
    except BaseException:
        tier.stop()
        raise
    return tier


def scrape_jobs(data: DataTier, app: AppTier, exporter_address: str | None, labels: dict) -> list:
    """Prometheus jobs beyond the single-box ones: HAProxy, and Redis once per shard."""
    jobs = []
    if len(app.apis) > 1:
        # Every instance's own /metrics; a label tells them apart (same job and instance
        # labels would make Prometheus keep only one of them).
        jobs.append(
            {
                "job_name": "app",
                "static_configs": [
                    {"targets": [f"127.0.0.1:{api.port}"],
                     "labels": {**labels, "backend": f"app{index + 1}"}}
                    for index, api in enumerate(app.apis)
                ],
            }
        )  # fmt: skip
    if app.balancer:
        jobs.append(
            {
                "job_name": "haproxy",
                "static_configs": [
                    {"targets": [f"127.0.0.1:{app.balancer.stats_port}"], "labels": labels}
                ],
            }
        )
    if data.cluster and exporter_address:
        # redis_exporter's /scrape?target=...: one exporter, one series set per primary, each
        # labelled with its shard; the single-target job is replaced by this one.
        jobs.append(
            {
                "job_name": "redis",
                "metrics_path": "/scrape",
                "static_configs": [
                    {"targets": [f"redis://127.0.0.1:{p}" for p in data.ports], "labels": labels}
                ],
                "relabel_configs": [
                    {"source_labels": ["__address__"], "target_label": "__param_target"},
                    {
                        "source_labels": ["__param_target"],
                        "regex": "redis://(.*)",
                        "target_label": "shard",
                    },
                    {"target_label": "__address__", "replacement": exporter_address},
                ],
            }
        )
    return jobs


def roles(data: DataTier, app: AppTier, base: list[str]) -> list[str]:
    """run.json roles of the one box: `loadbalancer` when HAProxy runs."""
    return [*base, "loadbalancer"] if app.balancer else list(base)
