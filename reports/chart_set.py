"""Which charts a report draws, the section of summary.md each illustrates and what it shows."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reports import charts_capacity, charts_locust, charts_resources
from reports.capacity import Capacity
from reports.run_dir import CHARTS_DIR, Run
from rundir.files import JSON_STATS


@dataclass(frozen=True)
class ChartLink:
    section: str  # "requests", "resources" or "capacity": where summary.md links it
    title: str
    path: str  # relative to the run directory
    caption: str  # one line: what the chart shows


@dataclass(frozen=True)
class _Chart:
    section: str
    name: str
    title: str
    caption: str
    why_missing: str
    draw: Callable[[Path], bool]


def _plan(run: Run, metrics: dict, capacity: Capacity | None) -> list[_Chart]:
    window = (run.start, run.end)
    series = metrics["series"]
    planned = [
        _Chart("requests", "throughput.png", "Throughput and users",
               "Requests and failures per second from Locust's counts, users on the right axis.",
               "Locust's stats history is empty",
               lambda p: charts_locust.throughput(run.history, window, p)),
        _Chart("requests", "latency.png", "Response time percentiles",
               "p50, p90, p95 and p99 of all requests over time (Locust's 10-second "
               "percentiles).",
               "Locust's stats history has no percentiles",
               lambda p: charts_locust.latency(run.history, window, p)),
        _Chart("requests", "latency_endpoints.png", "Response time percentiles per endpoint",
               "The same percentiles for each endpoint, one panel each.",
               "Locust's stats history has no per-endpoint rows (--csv-full-history)",
               lambda p: charts_locust.latency_per_endpoint(run.history, window, p)),
        _Chart("requests", "distribution.png", "Response time distribution per endpoint",
               "How the whole run's response times spread, per endpoint, with p50, p95 and "
               "p99 marked (log axis when they span more than a factor of 20).",
               f"the run directory has no {JSON_STATS} with response times",
               lambda p: charts_locust.distribution(
                   charts_locust.read_stats_json(run.path / JSON_STATS), p)),
        _Chart("resources", "cpu.png", "CPU per host and per service",
               "CPU per host (% of all its cores) beside CPU per service: API workers, Redis, "
               "Locust (% of one core).",
               "no host or service CPU series",
               lambda p: charts_resources.cpu(series, window, p)),
        _Chart("resources", "redis.png", "Redis commands and memory",
               "Commands Redis processed per second beside the memory it used.",
               "no Redis series",
               lambda p: charts_resources.redis(series, window, p)),
    ]  # fmt: skip
    if capacity:
        planned.append(
            _Chart("capacity", "capacity.png", "Throughput and p95 against users",
                   "One point per step: where requests/s stops rising and where p95 crosses "
                   "its gate.",
                   "the capacity answer has no steps",
                   lambda p: charts_capacity.capacity(capacity, p))
        )  # fmt: skip
    return planned


def draw(run: Run, metrics: dict, missing: list[dict], capacity: Capacity | None = None
         ) -> list[ChartLink]:  # fmt: skip
    """Draw every chart the run's data allows; each one that cannot be drawn goes to `missing`."""
    out = run.path / CHARTS_DIR
    links = []
    for chart in _plan(run, metrics, capacity):
        if chart.draw(out / chart.name):
            links.append(
                ChartLink(chart.section, chart.title, f"{CHARTS_DIR}/{chart.name}", chart.caption)
            )
        else:
            (out / chart.name).unlink(missing_ok=True)  # a rebuild must not link a stale one
            missing.append({"what": f"chart '{chart.title}'", "why": chart.why_missing})
    return links
