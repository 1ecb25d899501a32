"""Open model: the arrival-rate option, target vs achieved in the report, the 97 % flag."""

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from loadgen.pacing import pacing_of
from reports import build, open_model, run_dir
from rig import cli
from rig.paths import REPO_ROOT

FIXTURE = Path(__file__).parent / "fixtures" / "report" / "results"
RUN_ID = "20251126T233320Z-post_15k"


def history_rows(users: list[int], counts: list[int], start: int = 1_764_200_000) -> str:
    lines = ["Timestamp,User Count,Type,Name,Requests/s,Total Request Count"]
    for i, (u, c) in enumerate(zip(users, counts, strict=True)):
        lines.append(f"{start + i},{u},,Aggregated,0,{c}")
    return "\n".join(lines) + "\n"


def crafted_run(tmp_path: Path, rate: float | None, per_second: int) -> Path:
    """The fixture run with a 30-second history: 5 s of ramp-up, then `per_second` requests
    a second at 50 users."""
    import shutil

    path = tmp_path / RUN_ID
    shutil.copytree(FIXTURE / RUN_ID, path)
    info = json.loads((path / run_dir.RUN_JSON).read_text())
    info["config"]["arrival_rate"] = rate
    (path / run_dir.RUN_JSON).write_text(json.dumps(info))
    users = [10, 20, 30, 40, 50] + [50] * 25
    counts, total = [], 0
    for u in users:
        total += per_second if u == 50 else per_second // 5  # a slow ramp: must not count
        counts.append(total)
    (path / run_dir.HISTORY_CSV).write_text(history_rows(users, counts))
    return path


def test_pacing_is_users_over_rate_and_zero_without_a_rate():
    assert pacing_of(SimpleNamespace(arrival_rate=500.0, num_users=100)) == pytest.approx(0.2)
    assert pacing_of(SimpleNamespace(arrival_rate=0.0, num_users=100)) == 0.0
    assert pacing_of(SimpleNamespace(num_users=100)) == 0.0
    for bad in (-5, float("inf"), float("nan"), "x", None):
        assert pacing_of(SimpleNamespace(arrival_rate=bad, num_users=10)) == 0.0


def test_a_worker_paces_by_the_master_s_user_count():
    """A Locust worker never sees --users: the master hands it over as arrival_users."""
    worker = SimpleNamespace(arrival_rate=100.0, num_users=None, arrival_users=50)
    assert pacing_of(worker) == pytest.approx(0.5)
    assert pacing_of(SimpleNamespace(arrival_rate=100.0, num_users=None)) == 0.0


def test_achieved_rate_leaves_out_the_silence_before_the_first_report_and_after_the_stop(
    tmp_path,
):
    """Workers report every 3 s: the count rises in steps, and stays flat before the first
    report and after the last; the rate is taken between the first and last step."""
    path = crafted_run(tmp_path, 40.0, 0)
    users = [0, 4, 4, 4] + [4] * 12 + [0, 0]
    counts = [0, 0, 0, 36, 36, 36, 156, 156, 156, 276, 276, 276, 396, 396, 396, 516, 592, 592]
    (path / run_dir.HISTORY_CSV).write_text(history_rows(users, counts))
    assert open_model.achieved_rate(run_dir.load(path), fallback=1.0) == pytest.approx(40.0)


def test_achieved_rate_leaves_the_ramp_up_out(tmp_path):
    run = run_dir.load(crafted_run(tmp_path, 400.0, 400))
    assert open_model.achieved_rate(run, fallback=1.0) == pytest.approx(400.0)


def test_an_achieved_rate_below_97_percent_is_flagged_as_coordinated_omission(tmp_path):
    report = build.build(crafted_run(tmp_path, 500.0, 400))
    assert report.verdicts["validity"] == "SUSPECT"
    (reason,) = [r for r in report.verdicts["validity_reasons"] if "arrival rate" in r]
    assert "400.0 req/s is 80.0% of the target 500.0 req/s" in reason
    assert "coordinated omission" in reason
    text = report.summary.read_text()
    assert "| Arrival rate | target 500.0 req/s, achieved 400.0 req/s (80.0%) |" in text


def test_an_achieved_rate_at_the_target_is_not_flagged(tmp_path):
    report = build.build(crafted_run(tmp_path, 400.0, 396))  # 99 %
    assert report.verdicts["validity"] == "VALID", report.verdicts["validity_reasons"]
    assert "achieved 396.0 req/s (99.0%)" in report.summary.read_text()


def test_a_closed_model_run_shows_no_arrival_rate(tmp_path):
    report = build.build(crafted_run(tmp_path, None, 400))
    assert "Arrival rate" not in report.summary.read_text()


@pytest.mark.parametrize("bad", ["0", "-3", "inf", "nan"])
def test_a_bad_arrival_rate_is_a_clear_error(tmp_path, capsys, bad):
    assert cli.main(["local", "--results-dir", str(tmp_path), f"--arrival-rate={bad}"]) == 2
    err = capsys.readouterr().err
    assert "--arrival-rate must be" in err and "Traceback" not in err


@pytest.mark.live
def test_an_arrival_rate_beyond_one_sync_worker_is_flagged(tmp_path):
    # One sync Gunicorn worker serves one request at a time; 20 users asking for 3,000
    # requests a second cannot get them, so the run must say its latencies are understated.
    argv = [sys.executable, "-m", "rig.cli", "local", "--run-time", "12s", "--no-prometheus",
            "--users", "20", "--spawn-rate", "20", "--worker-class", "sync", "--app-workers",
            "1", "--arrival-rate", "3000", "--results-dir", str(tmp_path)]  # fmt: skip
    done = subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode in (0, 3), done.stdout + done.stderr
    path = Path(done.stdout.strip().splitlines()[-1]).parent
    info = json.loads((path / run_dir.RUN_JSON).read_text())
    assert info["config"]["arrival_rate"] == 3000.0
    assert json.loads((path / run_dir.REPORT_JSON).read_text())["validity"] == "SUSPECT"
    text = (path / run_dir.SUMMARY_MD).read_text()
    assert "| Arrival rate | target 3,000.0 req/s, achieved " in text
    assert "suspect: the achieved arrival rate" in text and "coordinated omission" in text
