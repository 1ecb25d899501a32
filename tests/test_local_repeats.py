"""`rig local --repeat N` and the CPU split, end to end with short runs (psutil path)."""

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from reports import compare, figures, repeats, run_dir
from rig.paths import REPO_ROOT

pytestmark = pytest.mark.live
SHORT = ["--run-time", "5s", "--users", "10", "--spawn-rate", "10", "--no-prometheus"]


def rig_local(tmp_path: Path, *args: str) -> tuple[int, str]:
    argv = [sys.executable, "-m", "rig.cli", "local", *SHORT, "--results-dir", str(tmp_path)]
    done = subprocess.run(
        [*argv, *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    return done.returncode, done.stdout + done.stderr


def md_row(text: str, label: str) -> list[str]:
    line = next(x for x in text.splitlines() if x.startswith(f"| {label} |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_repeat_3_writes_the_medians_and_cvs_of_its_three_run_directories(tmp_path):
    # --no-cpu-split as well: each repeat is then a co-located run, SUSPECT for that reason.
    code, out = rig_local(tmp_path, "--repeat", "3", "--no-cpu-split")
    assert code in (0, 3), out
    repeats_md = Path(out.strip().splitlines()[-1])
    assert repeats_md.name == "repeats.md" and repeats_md.parent.parent == tmp_path, out
    assert out.count("repeat ") >= 3 and "repeat 3 of 3" in out
    runs = repeats.load_set(repeats_md.parent)
    assert len(runs) == 3
    text = repeats_md.read_text()
    for metric in compare.METRICS:
        # A repeat without a figure (no request answered: p50 is N/A) does not count.
        values = [v for r in runs if (v := figures.key_figures(r)[metric.key]) is not None]
        _label, shown, cv_shown, count, note = md_row(text, metric.label)
        assert count == str(len(values))
        if len(values) < 2:
            continue
        median = statistics.median(values)
        cv = compare.cv_pct(values)
        assert shown == compare.format_value(metric, median)
        assert cv_shown == f"{cv:.1f} %"
        assert note == ("noisy" if cv > repeats.NOISY_CV_PCT else "")
    for run in runs:
        report = json.loads((run.path / run_dir.REPORT_JSON).read_text())
        assert report["validity"] == "SUSPECT"
        summary = (run.path / run_dir.SUMMARY_MD).read_text()
        assert "suspect: the load generator shares all of its cores with the service" in summary
    assert "no split (--no-cpu-split)" in out


def test_a_split_run_pins_locust_apart_and_is_not_co_located(tmp_path):
    cpus = sorted(os.sched_getaffinity(0))
    assert len(cpus) >= 2, "the CPU split needs two CPUs; CI machines have them"
    mine, theirs = str(cpus[-1]), ",".join(map(str, cpus[:-1]))
    code, out = rig_local(tmp_path, "--cpus-loadgen", mine, "--cpus-service", theirs)
    assert code in (0, 3), out
    assert f"CPUs: load generator on {mine}, API and Redis on {theirs} (as asked)" in out
    path = Path(out.strip().splitlines()[-1]).parent
    host = json.loads((path / run_dir.RUN_JSON).read_text())["hosts"]["local"]
    assert host["cpus"] == {"locust": [cpus[-1]], "app": cpus[:-1], "redis": cpus[:-1]}
    summary = (path / run_dir.SUMMARY_MD).read_text()
    assert "shares" not in summary
    # The Locust workers really ran on their CPU: each worker's log line of its PID is not
    # kept, so the samples tell: Locust's CPU never exceeds one core's worth.
    samples = run_dir.read_csv(path / run_dir.SAMPLES_CSV)
    locust = [float(r["locust_cpu_percent"]) for r in samples if r.get("locust_cpu_percent")]
    assert locust and max(locust) <= 100 * 1.1
