"""PNG charts of a run with matplotlib (Agg backend: no display needed)."""

from datetime import UTC, datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
# The backend is chosen before pyplot is imported: no display on servers and in CI.
import matplotlib.dates as mdates
import matplotlib.pyplot as plt

from rundir import rates

SIZE = (9, 3.6)
DPI = 100


def _float(value: str | None) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):  # "N/A" before the first response
        return None


def _times(seconds: list[float]) -> list[datetime]:
    return [datetime.fromtimestamp(t, UTC) for t in seconds]


def _save(fig, ax, path: Path, ylabel: str) -> None:
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)  # a zero baseline, so the eye does not read noise as a swing
    ax.set_xlabel("time (UTC)")
    ax.grid(True, alpha=0.3)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S"))
    ax.legend(loc="upper left", fontsize="small")
    fig.autofmt_xdate()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def aggregated_history(history: list[dict[str, str]]) -> list[dict[str, str]]:
    return [row for row in history if row.get("Name") == "Aggregated"]


def _history_series(rows: list[dict[str, str]], column: str) -> tuple[list, list]:
    times, values = [], []
    for row in rows:
        t, v = _float(row.get("Timestamp")), _float(row.get(column))
        if t is not None and v is not None:
            times.append(t)
            values.append(v)
    return _times(times), values


def count_rates(rows: list[dict[str, str]]) -> tuple[list[float], list[float], list[float]]:
    """Requests and failures per second from the history's cumulative counts (rundir.rates).

    Returns (times, requests/s, failures/s) for steps-post drawing: value i holds from
    times[i] to times[i + 1]; the first stretch starts at the last second without users (the
    load's start). Empty when the history lacks the count columns.
    """
    samples = []
    for row in rows:
        t = _float(row.get("Timestamp"))
        count = _float(row.get("Total Request Count"))
        if t is None or count is None:
            return [], [], []
        samples.append((t, count, _float(row.get("Total Failure Count")) or 0.0))
    busy = [i for i, row in enumerate(rows) if row.get("User Count") not in ("0", "", None)]
    if not busy:
        return [], [], []
    stretches = rates.count_rates(samples[max(busy[0] - 1, 0) :])
    if not stretches:
        return [], [], []
    # The last stretch's value holds until its end, where the steps end.
    last = stretches[-1]
    times = [s.start for s in stretches] + [last.end]
    requests = [s.requests_per_s for s in stretches] + [last.requests_per_s]
    failures = [s.failures_per_s for s in stretches] + [last.failures_per_s]
    return times, requests, failures


def throughput(history: list[dict[str, str]], path: Path) -> bool:
    """RPS and failures/s over time; False when the history has no rows to draw."""
    rows = aggregated_history(history)
    if not rows:
        return False
    fig, ax = plt.subplots(figsize=SIZE)
    times, requests, failures = count_rates(rows)
    if times:
        when = _times(times)
        ax.plot(when, requests, label="requests/s", drawstyle="steps-post")
        ax.plot(when, failures, label="failures/s", color="tab:red", drawstyle="steps-post")
    else:  # a history without the count columns: Locust's own moving averages
        ax.plot(*_history_series(rows, "Requests/s"), label="requests/s")
        ax.plot(*_history_series(rows, "Failures/s"), label="failures/s", color="tab:red")
    ax.set_title("Throughput")
    _save(fig, ax, path, "per second")
    return True


def latency(history: list[dict[str, str]], path: Path) -> bool:
    rows = aggregated_history(history)
    p50 = _history_series(rows, "50%")
    p95 = _history_series(rows, "95%")
    if not p50[0] and not p95[0]:
        return False
    fig, ax = plt.subplots(figsize=SIZE)
    ax.plot(*p50, label="p50")
    ax.plot(*p95, label="p95", color="tab:orange")
    ax.set_title("Response time")
    _save(fig, ax, path, "ms")
    return True


def host_cpu(series: list[dict], path: Path) -> bool:
    """CPU % per host from the resource series (key cpu_percent)."""
    cpu = [s for s in series if s["key"] == "cpu_percent" and s["points"]]
    if not cpu:
        return False
    fig, ax = plt.subplots(figsize=SIZE)
    for item in cpu:
        ax.plot(_times([p[0] for p in item["points"]]), [p[1] for p in item["points"]],
                label=item["host"])  # fmt: skip
    ax.set_ylim(0, 105)  # room above 100 %, or a saturated host hides under the frame
    ax.set_title("CPU per host")
    _save(fig, ax, path, "CPU %")
    return True
