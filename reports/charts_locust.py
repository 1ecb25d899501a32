"""Charts from Locust's own files: throughput with users, latency percentiles, distributions."""

import json
import math
from pathlib import Path

import matplotlib.ticker as ticker
import numpy as np

from reports import charts

PERCENTILES = [("50%", "p50"), ("90%", "p90"), ("95%", "p95"), ("99%", "p99")]
MAX_ENDPOINTS = 12  # small multiples beyond this are unreadable; the rest are named as left out
LOG_SCALE_FROM = 20  # slowest / fastest response above this: a log axis shows both ends
BINS = 40


def endpoint_label(row: dict) -> str:
    method = (row.get("Type") or row.get("method") or "").strip()
    name = row.get("Name") or row.get("name") or "?"
    return f"{method} {name}".strip()


def throughput(history: list[dict[str, str]], window: tuple[float, float], path: Path) -> bool:
    """Requests/s and failures/s over time, users on the right axis; False without history."""
    rows = charts.aggregated_history(history)
    if not rows:
        return False
    fig, (ax,) = charts.figure()
    when, requests, failures = charts.count_rates(rows)
    if when:
        stamps = charts.times(when)
        ax.plot(stamps, requests, label="requests/s", drawstyle="steps-post")
        ax.plot(stamps, failures, label="failures/s", color="tab:red", drawstyle="steps-post")
    else:  # a history without the count columns: Locust's own moving averages
        ax.plot(*charts.history_series(rows, "Requests/s"), label="requests/s")
        ax.plot(*charts.history_series(rows, "Failures/s"), label="failures/s", color="tab:red")
    charts.time_axis(ax, window, "per second")
    users = ax.twinx()
    users.plot(*charts.history_series(rows, "User Count"), label="users", color="tab:grey",
               linestyle="--", drawstyle="steps-post")  # fmt: skip
    users.set_ylabel("users")
    users.set_ylim(bottom=0)
    lines = ax.get_legend_handles_labels()
    extra = users.get_legend_handles_labels()
    # Above the plot, beside the title: inside it would cover the users' line at the top.
    fig.legend(lines[0] + extra[0], lines[1] + extra[1], loc="upper right", ncols=3,
               fontsize="small", frameon=False, bbox_to_anchor=(0.99, 1.0))  # fmt: skip
    charts.save(fig, path, "Throughput and users")
    return True


def _percentile_lines(ax, rows: list[dict[str, str]]) -> bool:
    drawn = False
    for column, label in PERCENTILES:
        when, values = charts.history_series(rows, column)
        if values:
            ax.plot(when, values, label=label, linewidth=1)
            drawn = True
    return drawn


def latency(history: list[dict[str, str]], window: tuple[float, float], path: Path) -> bool:
    """p50, p90, p95 and p99 of all requests over time (Locust's 10-second percentiles)."""
    rows = charts.aggregated_history(history)
    fig, (ax,) = charts.figure()
    if not _percentile_lines(ax, rows):
        charts.plt.close(fig)
        return False
    charts.time_axis(ax, window, "ms")
    ax.legend(loc="upper left", fontsize="small", ncols=4)
    charts.save(fig, path, "Response time percentiles, all requests")
    return True


def endpoint_rows(history: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    """History rows per endpoint (--csv-full-history writes one per endpoint and second)."""
    by_name: dict[str, list[dict[str, str]]] = {}
    for row in history:
        if row.get("Name") not in (None, "", "Aggregated"):
            by_name.setdefault(endpoint_label(row), []).append(row)
    return by_name


def latency_per_endpoint(
    history: list[dict[str, str]], window: tuple[float, float], path: Path
) -> bool:
    """One panel per endpoint with its percentiles over time; False without per-name rows."""
    by_name = endpoint_rows(history)
    names = sorted(by_name)[:MAX_ENDPOINTS]
    if not names:
        return False
    fig, axes = charts.figure(len(names), columns=2 if len(names) > 1 else 1)
    for ax, name in zip(axes, names, strict=True):
        if not _percentile_lines(ax, by_name[name]):
            charts.empty_panel(ax, "no responses")
        charts.time_axis(ax, window, "ms")
        ax.set_title(name, fontsize="small")
    axes[0].legend(loc="upper left", fontsize="x-small", ncols=4)
    charts.save(fig, path, "Response time percentiles per endpoint")
    return True


def read_stats_json(path: Path) -> list[dict]:
    """Locust's --json-file: one entry per endpoint with its response_times {ms: count}."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []


def histogram(entry: dict) -> tuple[np.ndarray, np.ndarray]:
    """(response times in ms, counts) of an entry, in Locust's own buckets."""
    pairs = []
    for ms, count in (entry.get("response_times") or {}).items():
        try:
            pairs.append((float(ms), float(count)))
        except (TypeError, ValueError):
            continue
    pairs = [(ms, count) for ms, count in pairs if count > 0]
    if not pairs:
        return np.array([]), np.array([])
    pairs.sort()
    return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])


def percentile(values: np.ndarray, counts: np.ndarray, share: float) -> float:
    """Locust's calculate_response_time_percentile: the largest bucket with at most
    int(total * share) requests below it, so the lines agree with the Requests table."""
    below = np.cumsum(counts) - counts
    allowed = int(counts.sum() * share)
    return float(values[np.searchsorted(below, allowed, side="right") - 1])


def bucket_edge(ms: float) -> float:
    """The boundary between Locust's response-time buckets nearest to `ms`: whole ms below
    100, two significant digits from there (10 ms wide up to 1 s, 100 ms up to 10 s, ...)."""
    step = 1.0 if ms < 100 else 10.0 ** (math.floor(math.log10(ms)) - 1)
    return round((ms - step / 2) / step) * step + step / 2


def bin_edges(values: np.ndarray) -> np.ndarray:
    """About BINS bins, log-spaced when the times span more than LOG_SCALE_FROM, each holding
    whole buckets (a bin edge inside a bucket would make every other bin spike)."""
    low, high = max(float(values.min()), 1.0), max(float(values.max()), 1.0)
    spread = np.geomspace if high / low > LOG_SCALE_FROM else np.linspace
    edges = [bucket_edge(x) for x in spread(low * 0.95, high * 1.05, BINS + 1)]
    edges = sorted(set(edges) | {bucket_edge(float(values.min())) - 1.0,
                                 bucket_edge(float(values.max())) + 1.0})  # fmt: skip
    return np.array([e for e in edges if e > 0])


def _draw_distribution(ax, values: np.ndarray, counts: np.ndarray) -> None:
    edges = bin_edges(values)
    scale = np.log10 if edges[-1] / edges[0] > LOG_SCALE_FROM else np.asarray
    if scale is np.log10:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda x, _pos: f"{x:g}"))
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    binned, _ = np.histogram(values, bins=edges, weights=counts)
    # Snapped bins differ a little in width: scale each to the nominal width (on the axis'
    # scale), or the narrower ones would read as dips.
    widths = np.diff(scale(edges))
    nominal = (scale(edges[-1]) - scale(edges[0])) / BINS
    ax.stairs(binned * nominal / widths, edges, fill=True, color="tab:blue")
    for share, label, color in ((0.5, "p50", "tab:green"), (0.95, "p95", "tab:orange"),
                                (0.99, "p99", "tab:red")):  # fmt: skip
        at = percentile(values, counts, share)
        ax.axvline(at, color=color, linestyle="--", linewidth=1, label=f"{label} {at:g} ms")
    ax.yaxis.set_major_formatter(ticker.EngFormatter(sep=""))
    ax.set_xlabel("response time (ms)")
    ax.set_ylabel("requests per bin")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right", fontsize="x-small")


def distribution(entries: list[dict], path: Path) -> bool:
    """A response-time histogram per endpoint; False when no entry holds response times."""
    drawable = []
    for entry in entries:
        values, counts = histogram(entry)
        if values.size:
            drawable.append((endpoint_label(entry), values, counts))
    drawable = sorted(drawable, key=lambda item: item[0])[:MAX_ENDPOINTS]
    if not drawable:
        return False
    columns = 2 if len(drawable) > 1 else 1
    fig, axes = charts.figure(len(drawable), columns=columns, sharex=False, dates=False)
    for ax, (name, values, counts) in zip(axes, drawable, strict=True):
        _draw_distribution(ax, values, counts)
        ax.set_title(name, fontsize="small")
    charts.save(fig, path, "Response time distribution per endpoint")
    return True
