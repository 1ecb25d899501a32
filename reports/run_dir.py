"""Reads one run directory (run.json, Locust's CSV files, the SLO verdict) into plain data."""

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

RUN_JSON = "run.json"
STATS_CSV = "locust_stats.csv"
HISTORY_CSV = "locust_stats_history.csv"
FAILURES_CSV = "locust_failures.csv"
METRICS_JSON = "metrics.json"
SAMPLES_CSV = "samples.csv"
SUMMARY_MD = "summary.md"
CHARTS_DIR = "charts"
# The SLO plugin's verdict (loadgen/runner_files.py SLO_VERDICT); the first one present wins.
SLO_FILES = ("locust_slo.json", "slo.json")

# Columns of the summary table, in the seed's order, and the locust_stats.csv column behind each.
TABLE_COLUMNS = [
    ("Type", "Type"),
    ("Name", "Name"),
    ("# Requests", "Request Count"),
    ("# Fails", "Failure Count"),
    ("Median", "Median Response Time"),
    ("90%ile", "90%"),
    ("95%ile", "95%"),
    ("99%ile", "99%"),
    ("Average", "Average Response Time"),
    ("Min", "Min Response Time"),
    ("Max", "Max Response Time"),
    ("Average size", "Average Content Size"),
    ("RPS", "Requests/s"),
    ("Failures/s", "Failures/s"),
]


class RunDirError(Exception):
    """The run directory lacks something the report cannot do without."""


@dataclass
class Run:
    """One run as plain data; `stats` rows keep locust_stats.csv's strings untouched."""

    path: Path
    info: dict
    stats: list[dict[str, str]]
    history: list[dict[str, str]] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    slo: dict | None = None

    @property
    def run_id(self) -> str:
        return str(self.info.get("run_id") or self.path.name)

    @property
    def scenario(self) -> str:
        return str(self.info.get("scenario", "unknown"))

    @property
    def start(self) -> float:
        return float(self.info["start"])

    @property
    def end(self) -> float:
        return float(self.info["end"])

    @property
    def aggregated(self) -> dict[str, str] | None:
        for row in self.stats:
            if row.get("Name") == "Aggregated":
                return row
        return None


def read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_json(path: Path) -> dict | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise RunDirError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise RunDirError(f"{path} must hold a JSON object")
    return data


def load(path: Path, with_history: bool = True) -> Run:
    """Load a run directory; RunDirError says what is missing or malformed."""
    path = Path(path)
    if not path.is_dir():
        raise RunDirError(f"{path} is not a directory")
    info = read_json(path / RUN_JSON)
    if info is None:
        raise RunDirError(f"{path} has no {RUN_JSON}; is it a run directory?")
    for key in ("start", "end"):
        try:
            float(info[key])
        except (KeyError, TypeError, ValueError):
            raise RunDirError(f"{path / RUN_JSON}: '{key}' must be epoch seconds") from None
    if not (path / STATS_CSV).is_file():
        raise RunDirError(f"{path} has no {STATS_CSV} (did the Locust master run?)")
    slo = None
    for name in SLO_FILES:
        slo = read_json(path / name)
        if slo is not None:
            break
    return Run(
        path=path,
        info=info,
        stats=read_csv(path / STATS_CSV),
        history=read_csv(path / HISTORY_CSV) if with_history else [],
        failures=read_csv(path / FAILURES_CSV),
        slo=slo,
    )


def write_json(path: Path, data: dict) -> None:
    """Write atomically so a reader never sees half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)
