"""reports.regressions: what the nightly's notification says, from the runs' report.json, for
single runs and repeat sets, with regressions a moved canary withheld kept apart."""

import json
import subprocess
import sys
from pathlib import Path

from reports import regressions
from rundir.files import REPORT_JSON, RUN_JSON


def run(parent: Path, name: str, report: dict | None, in_run_json: bool = False) -> Path:
    path = parent / name
    path.mkdir(parents=True)
    info = {"run_id": name, "scenario": "post_15k", "start": 1.0, "end": 2.0}
    if in_run_json:
        info["report"] = report
    (path / RUN_JSON).write_text(json.dumps(info))
    if report is not None and not in_run_json:
        (path / REPORT_JSON).write_text(json.dumps(report))
    return path


def test_regressed_runs_and_runs_of_repeat_sets_are_named(tmp_path):
    run(tmp_path, "r1-post_15k", {"regressions": ["rps", "p95"], "withheld": []})
    run(tmp_path, "r2-get_doc", {"regressions": [], "withheld": []})
    run(tmp_path / "r3-mixed-x2", "a-mixed", {"regressions": ["p99"]})
    run(tmp_path / "r3-mixed-x2", "b-mixed", {"regressions": []})
    run(tmp_path, "r4-old", {"regressions": ["rps"]}, in_run_json=True)
    found = regressions.lines(tmp_path, ["r1-post_15k", "r2-get_doc", "r3-mixed-x2", "r4-old"])
    assert found == ["r1-post_15k: rps, p95", "r3-mixed-x2/a-mixed: p99", "r4-old: rps"]


def test_withheld_regressions_are_listed_apart(tmp_path):
    run(tmp_path, "r1", {"regressions": [], "withheld": ["rps"]})
    assert regressions.lines(tmp_path, ["r1"]) == []
    assert regressions.lines(tmp_path, ["r1"], "withheld") == ["r1: rps"]


def test_unreported_broken_or_missing_runs_say_nothing(tmp_path):
    run(tmp_path, "unreported", None)
    broken = run(tmp_path, "broken", None)
    (broken / REPORT_JSON).write_text("{not json")
    odd = run(tmp_path, "odd", None)
    (odd / REPORT_JSON).write_text(json.dumps({"regressions": "rps"}))  # not a list
    names = ["unreported", "broken", "odd", "gone", "../../etc"]
    assert regressions.lines(tmp_path, names) == []


def test_the_command_line_prints_one_line_per_run(tmp_path):
    run(tmp_path, "r1", {"regressions": ["rps"], "withheld": ["p95"]})
    argv = [sys.executable, "-m", "reports.regressions"]
    out = subprocess.run([*argv, str(tmp_path), "r1"], capture_output=True, text=True, check=True)
    assert out.stdout == "r1: rps\n"
    out = subprocess.run([*argv, "--withheld", str(tmp_path), "r1"],
                         capture_output=True, text=True, check=True)  # fmt: skip
    assert out.stdout == "r1: p95\n"
    empty = subprocess.run([*argv, str(tmp_path)], capture_output=True, text=True, check=True)
    assert empty.stdout == ""
