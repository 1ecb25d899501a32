"""Reads one run directory (run.json, Locust's CSV files, the verdicts) into plain data."""

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from rundir.errors import RunDirError
from rundir.files import FAILURES_CSV, HISTORY_CSV, REPORT_JSON, RUN_JSON, SLO_FILES, STATS_CSV
from rundir.runinfo import RunInfo


@dataclass
class Run:
    """One run as plain data; `stats` rows keep locust_stats.csv's strings untouched.

    `info` is run.json as written (a dict, so fields of newer writers reach the report);
    `report` is the report's own report.json, None before the first report.
    """

    path: Path
    info: dict
    stats: list[dict[str, str]]
    history: list[dict[str, str]] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    slo: dict | None = None
    report: dict | None = None

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
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunDirError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise RunDirError(f"{path} must hold a JSON object")
    return data


def write_json(path: Path, data: dict) -> None:
    """Write atomically so a reader never sees half a file."""
    write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def load(path: Path, with_history: bool = True) -> Run:
    """Load a run directory; RunDirError says what is missing or malformed."""
    path = Path(path)
    if not path.is_dir():
        raise RunDirError(f"{path} is not a directory")
    info = read_json(path / RUN_JSON)
    if info is None:
        raise RunDirError(f"{path} has no {RUN_JSON}; is it a run directory?")
    RunInfo.from_dict(info, source=path / RUN_JSON)  # validates start, end and the field types
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
        report=read_json(path / REPORT_JSON),
    )
