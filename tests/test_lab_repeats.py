"""Repeats and the canary on the shared lab: benchmark.yml with benchmark_repeat 2 and
benchmark_canary, then report.yml; the repeat set's repeats.md equals the medians and CVs of
its two run directories, and every run keeps the canary that ran before them.

Marker `lab`; uses the session's shared lab (tests/conftest.py), a few seconds of load.
"""

import json
import re
import statistics

import pytest

from reports import compare, figures, run_dir
from rundir.files import CANARY_JSON
from tests.lab_support import tail
from tests.test_lab_e2e import redis_cli

# Run alone, a module's first test also waits for the session's site.yml (5-10 minutes here).
pytestmark = [pytest.mark.lab, pytest.mark.timeout(1800)]

SCENARIO = "small_json"  # POSTs of small documents: no seeding, seconds of load suffice
RUN_TIME = "5s"
REPEAT = 2
FOREIGN_KEY = "canary-test:foreign"  # outside the rig's prefix: nothing may touch it


@pytest.fixture(scope="module")
def lab(converged_lab):
    return converged_lab


@pytest.fixture(scope="module")
def night(lab, tmp_path_factory):
    """benchmark.yml (2 repeats, canary) and report.yml into a results directory of its own."""
    results = tmp_path_factory.mktemp("canary-results")
    redis_cli(lab, f"SET {FOREIGN_KEY} keep-me")
    extra = {"benchmark_scenarios": [SCENARIO], "benchmark_run_time": RUN_TIME,
             "benchmark_users": 10, "benchmark_repeat": REPEAT, "benchmark_canary": True,
             "benchmark_results_dir": str(results)}  # fmt: skip
    bench, seconds = lab.playbook("playbooks/benchmark.yml", extra)
    print(f"\nbenchmark.yml, canary and {REPEAT} x {RUN_TIME}: {seconds:.1f} s")
    assert bench.returncode == 0, tail(bench)
    report, seconds = lab.playbook("playbooks/report.yml", {"benchmark_results_dir": str(results)})
    print(f"report.yml, {REPEAT} runs and their repeats.md: {seconds:.1f} s")
    assert report.returncode == 0, tail(report)
    return results, bench


def test_the_repeats_form_one_set_of_normal_run_directories(night):
    results, _bench = night
    (parent,) = [p for p in results.iterdir() if p.is_dir() and p.name != "trends"]
    assert re.fullmatch(rf"\d{{8}}T\d{{6}}Z-{SCENARIO}-x{REPEAT}", parent.name)
    runs = sorted(p for p in parent.iterdir() if p.is_dir())
    assert len(runs) == REPEAT
    for run in runs:
        for name in (run_dir.RUN_JSON, run_dir.STATS_CSV, run_dir.SUMMARY_MD, CANARY_JSON):
            assert (run / name).is_file(), (run, name)
        assert json.loads((run / run_dir.RUN_JSON).read_text())["scenario"] == SCENARIO


def test_repeats_md_holds_the_median_and_cv_of_the_runs(night):
    results, _bench = night
    (parent,) = [p for p in results.iterdir() if p.name.endswith(f"-x{REPEAT}")]
    runs = [run_dir.load(p, with_history=False) for p in sorted(parent.iterdir()) if p.is_dir()]
    text = (parent / "repeats.md").read_text()
    for metric in compare.METRICS[:4]:  # RPS, p50, p95, p99 (no request failed)
        values = [figures.key_figures(r)[metric.key] for r in runs]
        median = compare.format_value(metric, statistics.median(values))
        cv = compare.cv_pct(values)
        row = f"| {metric.label} | {median} | {cv:.1f} % | {REPEAT} |"
        assert row in text, (row, text)
    assert f"{parent.name}/repeats.md" in (results / "index.md").read_text()


def test_every_run_keeps_the_canary_that_ran_before_the_load(night, lab):
    results, bench = night
    (parent,) = [p for p in results.iterdir() if p.name.endswith(f"-x{REPEAT}")]
    runs = sorted(p for p in parent.iterdir() if p.is_dir())
    canaries = [json.loads((run / CANARY_JSON).read_text()) for run in runs]
    assert canaries[0] == canaries[1]  # one canary per play, shared by its runs
    data = canaries[0]
    assert data["missing"] == []
    assert data["redis"]["count"] > 0 and data["redis"]["per_s"] > 0
    assert data["http"]["url"] == f"http://{lab.data('app')}:8000/healthz"
    started = json.loads((runs[0] / run_dir.RUN_JSON).read_text())["start"]
    assert data["time"] < started
    assert "canary: Redis " in bench.stdout
    # The password stays out of the play's output and the file.
    password = lab.redis_password()
    assert password not in bench.stdout and password not in json.dumps(data)
    summary = (runs[0] / run_dir.SUMMARY_MD).read_text()
    assert "## Canary" in summary and "Redis round trips" in summary
    assert "Too few earlier canaries on this bench" in summary
    index = (results / "index.md").read_text()
    assert re.search(r"^# Canary$", index, re.M)
    assert re.search(r"^\| .* UTC \| \S+ \| [\d,]+ \| [\d,]+ \| not judged \|$", index, re.M)


def test_the_canary_touched_no_key_outside_its_own(night, lab):
    assert redis_cli(lab, f"GET {FOREIGN_KEY}").strip() == "keep-me"
    assert redis_cli(lab, "--scan --pattern 'rig:canary:*'").strip() == ""
    redis_cli(lab, f"DEL {FOREIGN_KEY}")
