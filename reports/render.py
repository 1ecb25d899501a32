"""Turns a run, its resource series and its comparison into summary.md (Jinja2 template)."""

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import jinja2

from reports import (
    compare,
    failures,
    figures,
    open_model,
    render_capacity,
    render_tiers,
    resources,
)
from reports.capacity import Capacity
from reports.chart_set import ChartLink
from reports.run_dir import TABLE_COLUMNS, Run
from rundir.fingerprint import module_version

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("reports", "templates"),
    autoescape=False,  # Markdown, not HTML
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)

SERVICES = [("api", "API workers"), ("redis", "Redis"), ("locust", "Locust")]
ENVIRONMENT_FIELDS = [
    ("redis", "Redis"),
    ("redisjson", "RedisJSON module"),
    ("python", "Python"),
    ("locust", "Locust"),
    ("gunicorn", "Gunicorn"),
    ("granian", "Granian"),
    ("flask", "Flask"),
    ("kernel", "Kernel"),
    ("cpu_model", "CPU model"),
    ("cpu_count", "CPUs"),
]
CONFIG_FIELDS = [
    ("server", "API server"),
    ("worker_class", "Gunicorn worker class"),
    ("workers", "Gunicorn workers"),
    ("threads", "Gunicorn threads"),
    ("worker_connections", "Gunicorn worker connections"),
    ("backlog", "Listen backlog"),
    ("locust_workers", "Locust workers"),
]
# Under Granian the same settings have its own names; the worker class is Gunicorn's alone.
GRANIAN_CONFIG_FIELDS = [
    ("server", "API server"),
    ("workers", "Granian workers"),
    ("threads", "Granian blocking threads per worker"),
    ("backpressure", "Granian backpressure (connection slots per worker)"),
    ("backlog", "Listen backlog"),
    ("locust_workers", "Locust workers"),
]


def cell(value) -> str:
    """A Markdown table cell: pipes escaped, newlines flattened."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def utc(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(seconds: float) -> str:
    seconds = round(seconds)
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min {secs:02d} s"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def human(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit in ("bytes", "bytes/s"):
        suffix = "/s" if unit == "bytes/s" else ""
        for size, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
            if abs(value) >= size:
                return f"{value / size:.1f} {name}{suffix}"
        return f"{value:.0f} B{suffix}"
    if unit == "%":
        return f"{value:.1f} %"
    if unit == "ops/s":
        return f"{value:,.0f}"
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"


# Decimals of each locust_stats.csv column as Locust's web UI shows it; the percentile columns
# are whole milliseconds in the CSV already and stay as they are.
DECIMALS = {
    "Request Count": 0,
    "Failure Count": 0,
    "Average Response Time": 1,  # 0 from 100 ms up
    "Min Response Time": 1,
    "Max Response Time": 1,
    "Average Content Size": 0,
    "Requests/s": 2,
    "Failures/s": 2,
}
WHOLE_MS_FROM = 100


def locust_number(column: str, text: str) -> str:
    """A locust_stats.csv value rounded (half up) as Locust shows it; "N/A" and the like as is."""
    places = DECIMALS.get(column)
    try:
        value = Decimal(text.strip())  # from the CSV's text: no binary rounding on the way
    except (AttributeError, InvalidOperation):
        return text
    if places is None or not value.is_finite():
        return text
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if column.endswith("Response Time") and abs(rounded) >= WHOLE_MS_FROM:
        rounded = value.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return str(rounded)


def locust_table(run: Run) -> list[list[str]]:
    return [
        [cell(locust_number(column, row.get(column, ""))) for _title, column in TABLE_COLUMNS]
        for row in run.stats
    ]


def _index(series: list[dict]) -> dict[tuple[str, str], dict]:
    return {(s["host"], s["key"]): resources.summarize(s["points"]) for s in series if s["points"]}


def host_rows(run: Run, metrics: dict) -> list[dict]:
    summaries = _index(metrics["series"])
    names = sorted({s["host"] for s in metrics["series"] if s["scope"] == "host"})
    hosts = run.info.get("hosts") or {}
    rows = []
    for name in names:

        def get(key, stat, name=name):
            summary = summaries.get((name, key))
            return summary[stat] if summary else None

        rows.append(
            {
                "name": cell(name),
                "roles": cell(", ".join((hosts.get(name) or {}).get("roles", [])) or "—"),
                "cpu_avg": human(get("cpu_percent", "avg"), "%"),
                "cpu_max": human(get("cpu_percent", "max"), "%"),
                "mem_avg": human(get("mem_used_bytes", "avg"), "bytes"),
                "mem_max": human(get("mem_used_bytes", "max"), "bytes"),
                "mem_total": human(get("mem_total_bytes", "last"), "bytes"),
                "load_avg": human(get("load1", "avg"), ""),
                "load_max": human(get("load1", "max"), ""),
                "net_in": human(get("net_in_bytes_per_s", "avg"), "bytes/s"),
                "net_out": human(get("net_out_bytes_per_s", "avg"), "bytes/s"),
            }
        )
    return rows


def service_rows(metrics: dict) -> list[dict]:
    summaries = _index(metrics["series"])
    rows = []
    for service, title in SERVICES:
        for host in sorted({s["host"] for s in metrics["series"] if s["scope"] == service}):

            def get(key, stat, host=host):
                summary = summaries.get((host, key))
                return summary[stat] if summary else None

            extra = []
            busiest = get("locust_worker_max_cpu_percent", "max")
            if service == "locust" and busiest is not None:
                extra = [f"busiest worker CPU max {human(busiest, '%')}"]
            opened = get("api_open_connections", "max")
            if service == "api" and opened is not None:
                slots = get("api_connection_slots", "max")
                queue = get("api_listen_queue", "max")
                extra = [
                    f"open connections max {human(opened, 'ops/s')} of "
                    f"{human(slots, 'ops/s')} slots",
                    f"listen queue max {human(queue, 'ops/s')}",
                ]
            if service == "redis":
                extra = [
                    f"ops/s avg {human(get('redis_ops_per_s', 'avg'), 'ops/s')}, "
                    f"max {human(get('redis_ops_per_s', 'max'), 'ops/s')}",
                    f"used memory max {human(get('redis_used_memory_bytes', 'max'), 'bytes')}",
                    f"keys at end {human(get('redis_keys', 'last'), 'ops/s')}",
                ]
            rows.append(
                {
                    "service": title,
                    "host": cell(host),
                    "cpu_avg": human(get(f"{service}_cpu_percent", "avg"), "%"),
                    "cpu_max": human(get(f"{service}_cpu_percent", "max"), "%"),
                    "rss_avg": human(get(f"{service}_rss_bytes", "avg"), "bytes"),
                    "rss_max": human(get(f"{service}_rss_bytes", "max"), "bytes"),
                    "extra": "; ".join(extra) or "—",
                }
            )
    return rows


def failure_rows(run: Run, limit: int = 20) -> list[dict]:
    """The failure table: one row per cause, the requests it struck, one message as example."""
    groups = failures.group(run.failures)
    total = sum(g.occurrences for g in groups) or 1
    rows = []
    for group in groups[:limit]:
        struck = sorted(group.requests.items(), key=lambda item: (-item[1], item[0]))
        rows.append(
            {
                "cause": cell(group.cause),
                "occurrences": group.occurrences,
                "share": f"{100 * group.occurrences / total:.1f} %",
                "requests": cell(", ".join(f"{name} ({count})" for name, count in struck[:4])),
                "example": cell(group.example[:200]),
            }
        )
    return rows


def comparison_rows(comparisons: list[compare.Comparison]) -> list[dict]:
    return [
        {
            "label": c.metric.label,
            "baseline": compare.format_value(c.metric, c.baseline),
            "value": compare.format_value(c.metric, c.value),
            "delta": compare.format_delta(c),
            "cv": "—" if c.cv_pct is None else f"{c.cv_pct:.1f} %",
            "status": c.status,
        }
        for c in comparisons
    ]


def key_figures_line(values: dict) -> str:
    by_key = {m.key: m for m in compare.METRICS}
    parts = [
        f"{compare.format_value(by_key['rps'], values['rps'])} req/s",
        *(
            f"{key} {compare.format_value(by_key[key], values[key])} ms"
            for key in ("p50", "p95", "p99")
        ),
        f"{compare.format_value(by_key['fail_ratio'], values['fail_ratio'])} failed",
    ]
    return ", ".join(parts)


def environment_rows(run: Run) -> list[tuple[str, str]]:
    versions = dict(run.info.get("versions") or {})
    if "redisjson" in versions:  # run.json files written before it was decoded hold 20803
        versions["redisjson"] = module_version(versions["redisjson"])
    config = run.info.get("config") or {}
    granian = config.get("server") == "granian"
    # A run names the version of the server it used only.
    unused = "gunicorn" if granian else "granian"
    rows = [
        (title, versions[key])
        for key, title in ENVIRONMENT_FIELDS
        if key in versions and key != unused
    ]
    fields = GRANIAN_CONFIG_FIELDS if granian else CONFIG_FIELDS
    rows += [(title, config[key]) for key, title in fields if key in config]
    return [(cell(a), cell(b)) for a, b in rows]


def render_summary(
    run: Run,
    metrics: dict,
    verdicts: dict,
    comparisons: list[compare.Comparison],
    baseline_runs: list[str],
    charts: list[ChartLink],
    missing: list[dict],
    capacity: Capacity | None = None,
    earlier_runs: int = 0,
) -> str:
    config = run.info.get("config") or {}
    hosts = run.info.get("hosts") or {}
    context = {
        "run_id": cell(run.run_id),
        "scenario": cell(run.scenario),
        "date": utc(run.start),
        "duration": duration(run.end - run.start),
        "users": config.get("users", "—"),
        "spawn_rate": config.get("spawn_rate", "—"),
        "hosts": ", ".join(
            f"{cell(name)} ({cell(', '.join(h.get('roles', [])))})"
            for name, h in sorted(hosts.items())
        )
        or "—",
        "git_rev": cell(run.info.get("git_rev") or "unknown"),
        "target": cell(run.info.get("target") or "")
        + {True: " (this host)", False: " (another host: its resources are not measured)"}.get(
            run.info.get("target_local"), ""
        ),
        "verdicts": verdicts,
        "key_figures": key_figures_line(figures.key_figures(run)),
        "table_header": [title for title, _column in TABLE_COLUMNS],
        "table": locust_table(run),
        "failures": failure_rows(run),
        "metrics_source": metrics["source"],
        "metrics_detail": cell(metrics.get("detail") or ""),
        "host_rows": host_rows(run, metrics),
        "service_rows": service_rows(metrics),
        "charts": {
            section: [c for c in charts if c.section == section]
            for section in ("requests", "resources", "capacity")
        },
        "capacity": render_capacity.context(capacity),
        # A load shape sets the users itself: say what it did instead of "None / None".
        "load": render_capacity.load_text(capacity)
        if capacity and config.get("users") is None
        else None,
        "comparisons": comparison_rows(comparisons),
        "baseline_runs": [cell(r) for r in baseline_runs],
        "judged_by": compare.judged_by(comparisons, earlier_runs),
        "arrival_rate": open_model.summary(run, figures.key_figures(run))[0],
        "environment": environment_rows(run),
        "missing": [(cell(m["what"]), cell(m["why"])) for m in missing],
        "tiers": render_tiers.context(metrics.get("tiers") or {}, human, cell),
    }
    return _ENV.get_template("summary.md.j2").render(context)


def render_index(
    rows: list[dict], trends: list[dict] | None = None, sets: list[dict] | None = None
) -> str:
    return _ENV.get_template("index.md.j2").render(rows=rows, trends=trends or [], sets=sets or [])
