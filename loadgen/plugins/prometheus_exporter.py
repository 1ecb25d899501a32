"""Prometheus exporter on the master (or the single process), read from Locust's own stats.

--prometheus-port (default 9646, 0 disables). A custom collector reads the statistics at
scrape time, so requests cost nothing extra and the numbers are exactly Locust's.
"""

import logging

import gevent
from locust import events
from locust.runners import MasterRunner, WorkerRunner
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from loadgen.plugins import outputs, saturation
from loadgen.runner import DEFAULT_PROMETHEUS_PORT as DEFAULT_PORT

logger = logging.getLogger(__name__)
QUANTILES = (0.5, 0.9, 0.95, 0.99)


@events.init_command_line_parser.add_listener
def _arguments(parser) -> None:
    group = parser.add_argument_group("rig Prometheus exporter")
    group.add_argument(
        "--prometheus-port",
        type=int,
        default=DEFAULT_PORT,
        env_var="LOCUST_PROMETHEUS_PORT",
        help=f"port of the master's /metrics (default {DEFAULT_PORT}, 0 disables)",
    )
    group.add_argument(
        "--prometheus-linger",
        type=float,
        default=0.0,
        env_var="LOCUST_PROMETHEUS_LINGER",
        help="seconds to keep serving after the test so a last scrape sees the final numbers",
    )


class LocustCollector:
    """Turns the runner's statistics into metric families on every scrape."""

    def __init__(self, environment):
        self.environment = environment

    def collect(self):
        runner = self.environment.runner
        if runner is None:
            return
        stats = runner.stats
        labels = ["method", "name"]
        requests = CounterMetricFamily("locust_requests", "Requests made", labels=labels)
        failures = CounterMetricFamily("locust_failures", "Requests that failed", labels=labels)
        latency = GaugeMetricFamily(
            "locust_response_time_seconds",
            "Response time percentiles over the whole run (name Aggregated: all requests)",
            labels=[*labels, "quantile"],
        )
        average = GaugeMetricFamily(
            "locust_response_time_average_seconds", "Mean response time", labels=labels
        )
        entries = [*stats.entries.values(), stats.total]
        for entry in entries:
            method = entry.method or ""
            if entry is not stats.total:
                requests.add_metric([method, entry.name], entry.num_requests)
                failures.add_metric([method, entry.name], entry.num_failures)
            if entry.num_requests:
                for q in QUANTILES:
                    seconds = entry.get_response_time_percentile(q) / 1000.0
                    latency.add_metric([method, entry.name, str(q)], seconds)
                average.add_metric([method, entry.name], entry.avg_response_time / 1000.0)
        yield from (requests, failures, latency, average)

        yield GaugeMetricFamily("locust_users", "Users running now", value=runner.user_count)
        workers = (
            len(runner.clients.ready + runner.clients.spawning + runner.clients.running)
            if (isinstance(runner, MasterRunner))
            else 0
        )
        yield GaugeMetricFamily("locust_workers", "Workers connected and ready", value=workers)
        yield GaugeMetricFamily(
            "locust_current_rps", "Requests per second now", value=stats.total.current_rps
        )
        yield GaugeMetricFamily(
            "locust_current_fail_per_sec",
            "Failures per second now",
            value=stats.total.current_fail_per_sec,
        )
        cpu = GaugeMetricFamily(
            "locust_worker_cpu_percent",
            "CPU use of each load-generating process (worker id, or local)",
            labels=["worker"],
        )
        for name, value in saturation.cpu_by_process(self.environment).items():
            cpu.add_metric([name], value)
        yield cpu
        guard = saturation.guard_of(self.environment)
        yield GaugeMetricFamily(
            "locust_loadgen_saturated",
            "1 when a load generator stayed above the saturation CPU threshold",
            value=1 if guard and guard.saturated else 0,
        )


@events.init.add_listener
def _serve(environment, runner=None, **_kwargs) -> None:
    options = environment.parsed_options
    if isinstance(runner, WorkerRunner) or options is None or not options.prometheus_port:
        return
    registry = CollectorRegistry()
    registry.register(LocustCollector(environment))
    try:
        start_http_server(options.prometheus_port, registry=registry)
    except OSError as exc:
        logger.error("Prometheus exporter: port %s: %s", options.prometheus_port, exc)
        return
    environment.loadgen_registry = registry
    logger.info("Prometheus metrics on :%s/metrics", options.prometheus_port)


@events.quitting.add_listener
def _linger(environment, **_kwargs) -> None:
    options = environment.parsed_options
    linger = getattr(options, "prometheus_linger", 0) if options else 0
    if linger and getattr(environment, "loadgen_registry", None) is not None:
        outputs.finalize(environment)  # the last scrapes see the final numbers
        gevent.sleep(linger)
