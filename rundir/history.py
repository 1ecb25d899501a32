"""The load window of a run, from Locust's stats history (one row a second)."""

import csv
import math
from pathlib import Path


def _stamp(row: dict) -> float | None:
    try:
        value = float(row.get("Timestamp") or "")
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def busy_seconds(rows: list[dict[str, str]]) -> list[float]:
    """Timestamps of the history's rows with users running, in file order."""
    stamps = []
    for row in rows:
        stamp = _stamp(row)
        if stamp is not None and str(row.get("User Count") or "0").strip() not in ("0", ""):
            stamps.append(stamp)
    return stamps


def window(rows: list[dict[str, str]], launched: float, finished: float) -> tuple[float, float]:
    """(start, end) of the load: the seconds with users, within launched..finished.

    A history row at T reports the second ending at T, so the load began one second before the
    first row with users and lasted until one second after the last one. Seeding, waiting for
    workers and the exporter's linger happen outside it; they are not load. Without any row
    with users, the window is what the caller measured.
    """
    busy = busy_seconds(rows)
    if not busy:
        start, end = launched, finished
    else:
        start = max(launched, min(busy) - 1)
        end = min(finished, max(busy) + 1)
    return round(start, 3), round(max(end, start + 1), 3)


def read_history(path: Path) -> list[dict[str, str]]:
    """The rows of locust_stats_history.csv; none when the file is absent."""
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        return list(csv.DictReader(handle))
