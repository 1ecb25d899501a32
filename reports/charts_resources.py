"""Charts of the resource series (metrics.json): CPU per host and per service, Redis."""

from pathlib import Path

from reports import charts

# Process groups as the report names them; CPU in % of one core.
SERVICE_CPU = [
    ("api_cpu_percent", "API workers"),
    ("redis_cpu_percent", "Redis"),
    ("locust_cpu_percent", "Locust (master and workers)"),
    ("locust_worker_max_cpu_percent", "busiest Locust worker"),
]


def _with_points(series: list[dict], key: str) -> list[dict]:
    return sorted((s for s in series if s["key"] == key and s["points"]), key=lambda s: s["host"])


def _plot(ax, item: dict, label: str, **style) -> None:
    points = item["points"]
    ax.plot(charts.times([p[0] for p in points]), [p[1] for p in points], label=label, **style)


def _several_hosts(series: list[dict]) -> bool:
    return len({s["host"] for s in series}) > 1


def cpu(series: list[dict], window: tuple[float, float], path: Path) -> bool:
    """CPU per host (% of all its cores) beside CPU per service (% of one core)."""
    hosts = _with_points(series, "cpu_percent")
    services = [(item, title) for key, title in SERVICE_CPU for item in _with_points(series, key)]
    if not hosts and not services:
        return False
    fig, (left, right) = charts.figure(2, columns=2)
    for item in hosts:
        _plot(left, item, item["host"])
    if not hosts:
        charts.empty_panel(left, "no host CPU series")
    charts.time_axis(left, window, "CPU % of the host")
    left.set_ylim(0, 105)  # room above 100 %, or a saturated host hides under the frame
    left.set_title("per host", fontsize="small")
    several = _several_hosts([item for item, _title in services])
    for item, title in services:
        style = {"linestyle": ":"} if item["key"] == "locust_worker_max_cpu_percent" else {}
        _plot(right, item, f"{title} on {item['host']}" if several else title, **style)
    if not services:
        charts.empty_panel(right, "no per-service CPU series")
    charts.time_axis(right, window, "CPU % of one core")
    right.set_title("per service", fontsize="small")
    for ax in (left, right):
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper left", fontsize="x-small")
    charts.save(fig, path, "CPU")
    return True


def redis(series: list[dict], window: tuple[float, float], path: Path) -> bool:
    """Redis commands per second beside its used memory."""
    ops = _with_points(series, "redis_ops_per_s")
    memory = _with_points(series, "redis_used_memory_bytes")
    if not ops and not memory:
        return False
    fig, (left, right) = charts.figure(2, columns=2)
    several = _several_hosts(ops + memory)
    for item in ops:
        _plot(left, item, item["host"])
    for item in memory:
        points = [[t, v / (1 << 20)] for t, v in item["points"]]
        _plot(right, {**item, "points": points}, item["host"])
    for ax, items, ylabel, title in ((left, ops, "commands/s", "commands per second"),
                                     (right, memory, "MiB", "used memory")):  # fmt: skip
        if not items:
            charts.empty_panel(ax, f"no {title} series")
        charts.time_axis(ax, window, ylabel)
        ax.set_title(title, fontsize="small")
        if several and items:
            ax.legend(loc="upper left", fontsize="x-small")
    charts.save(fig, path, "Redis")
    return True
