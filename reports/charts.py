"""PNG charts of a run with matplotlib (Agg backend: no display needed): the shared plumbing.

Every chart over time is drawn on the run's window (run.json's start to end), so the charts of
one report line up; the window of each time axis is written into the PNG (text chunk
`rig-window`, "start,end" in epoch seconds, one per time axis) so that it can be checked.
The charts themselves live in charts_locust.py, charts_resources.py and charts_capacity.py.
"""

from datetime import UTC
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
# The backend is chosen before pyplot is imported: no display on servers and in CI.
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np

from rundir import rates

SIZE = (9, 3.6)
PANEL_HEIGHT = 2.6  # inches per row of small multiples
DPI = 100
WINDOW_KEY = "rig-window"  # PNG text chunk with each time axis' window


def number(value: str | None) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):  # "N/A" before the first response
        return None


def times(seconds) -> np.ndarray:
    """Epoch seconds as Matplotlib date numbers (days since its 1970 epoch): plotting floats
    is many times faster than converting datetime objects, which an hour's rows make slow."""
    return np.asarray(seconds, dtype=float) / 86400.0


def figure(panels: int = 1, columns: int = 1, sharex: bool = True, dates: bool = True):
    """A figure of `panels` axes in `columns` columns; returns (fig, flat list of axes).

    Margins are fixed in inches instead of tight_layout(), which draws every figure twice
    and was the largest part of an hour-long run's report time.
    """
    rows = -(-panels // columns)
    height = SIZE[1] if rows == 1 else PANEL_HEIGHT * rows + 0.8
    fig, axes = plt.subplots(rows, columns, figsize=(SIZE[0], height), sharex=sharex, squeeze=False)
    bottom = 0.95 if dates else 0.6  # rotated time labels need more room than numbers
    fig.subplots_adjust(
        left=0.9 / SIZE[0], right=1 - 0.8 / SIZE[0], top=1 - 0.55 / height,
        bottom=bottom / height, wspace=0.35, hspace=0.35 if sharex else 0.6,
    )  # fmt: skip
    flat = list(axes.flat)
    for spare in flat[panels:]:
        spare.set_visible(False)
    return fig, flat[:panels]


def time_axis(ax, window: tuple[float, float], ylabel: str, zero: bool = True) -> None:
    """The run's window on the x axis (UTC), a zero baseline so noise does not read as a swing."""
    ax.xaxis_date(UTC)
    ax.set_xlim(*times(list(window)))
    # Few ticks: labels of eight characters crowd a half-width panel otherwise.
    locator = mdates.AutoDateLocator(tz=UTC, minticks=3, maxticks=6)
    # Matplotlib's seconds stop at 30 and warn on windows of about 140-165 s (a 150 s run).
    locator.intervald[mdates.SECONDLY] = [1, 2, 5, 10, 15, 20, 30, 40, 60]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S", tz=UTC))
    ax.set_ylabel(ylabel)
    if zero:
        ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.rig_time_axis = True


def empty_panel(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="grey")


def _window_text(fig) -> str:
    windows = []
    for ax in fig.axes:
        if getattr(ax, "rig_time_axis", False):
            low, high = (x * 86400.0 for x in ax.get_xlim())
            windows.append(f"{low:.3f},{high:.3f}")
    return ";".join(windows)


def save(fig, path: Path, title: str | None = None) -> None:
    """Write the PNG (with the time axes' windows in it) and free the figure."""
    if title:
        fig.suptitle(title)
    if any(getattr(ax, "rig_time_axis", False) for ax in fig.axes):
        fig.autofmt_xdate(bottom=fig.subplotpars.bottom)
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = {"Software": "redisjson-rig report"}
    if windows := _window_text(fig):
        metadata[WINDOW_KEY] = windows
    fig.savefig(path, dpi=DPI, metadata=metadata)
    plt.close(fig)


def aggregated_history(history: list[dict[str, str]]) -> list[dict[str, str]]:
    return [row for row in history if row.get("Name") == "Aggregated"]


def history_series(rows: list[dict[str, str]], column: str) -> tuple[list, list]:
    """(datetimes, values) of one history column, rows without a number left out."""
    when, values = [], []
    for row in rows:
        t, v = number(row.get("Timestamp")), number(row.get(column))
        if t is not None and v is not None:
            when.append(t)
            values.append(v)
    return times(when), values


def count_rates(rows: list[dict[str, str]]) -> tuple[list[float], list[float], list[float]]:
    """Requests and failures per second from the history's cumulative counts (rundir.rates).

    Returns (times, requests/s, failures/s) for steps-post drawing: value i holds from
    times[i] to times[i + 1]; the first stretch starts at the last second without users (the
    load's start). Empty when the history lacks the count columns.
    """
    samples = []
    for row in rows:
        t = number(row.get("Timestamp"))
        count = number(row.get("Total Request Count"))
        if t is None or count is None:
            return [], [], []
        samples.append((t, count, number(row.get("Total Failure Count")) or 0.0))
    busy = [i for i, row in enumerate(rows) if row.get("User Count") not in ("0", "", None)]
    if not busy:
        return [], [], []
    stretches = rates.count_rates(samples[max(busy[0] - 1, 0) :])
    if not stretches:
        return [], [], []
    # The last stretch's value holds until its end, where the steps end.
    last = stretches[-1]
    when = [s.start for s in stretches] + [last.end]
    requests = [s.requests_per_s for s in stretches] + [last.requests_per_s]
    failures = [s.failures_per_s for s in stretches] + [last.failures_per_s]
    return when, requests, failures
