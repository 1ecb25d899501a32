"""`rig compare A B` judges a difference only against a known noise; repeats.md sums repeats."""

import json
import random
import re
import statistics
from pathlib import Path

import pytest

from reports import compare, pair, repeats, run_dir
from rig import cli

STATS_HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
)
_START = [1_790_000_000]


def write_run(parent: Path, name: str, rps: float, p95: float, scenario: str = "s") -> Path:
    path = parent / name
    path.mkdir(parents=True)
    _START[0] += 100
    info = {"run_id": name, "scenario": scenario, "bench": "local:t",
            "start": _START[0], "end": _START[0] + 30}  # fmt: skip
    (path / run_dir.RUN_JSON).write_text(json.dumps(info))
    row = f",Aggregated,30000,3,20,21.0,1.0,90.0,4500,{rps:.2f},0.1,20,22,23,24,30,{p95:.0f},"
    (path / run_dir.STATS_CSV).write_text(f"{STATS_HEADER}\n{row}40,50,60,70,80\n")
    return path


def repeat_set(parent: Path, name: str, rps: list[float], p95: float = 40.0) -> Path:
    for i, value in enumerate(rps):
        write_run(parent / name, f"{name}-r{i + 1}", value, p95)
    return parent / name


def lines_of(out: str) -> dict[str, str]:
    return {line.split()[0]: line for line in out.splitlines()[1:] if line and line[0] != "n"}


def test_two_single_runs_without_history_are_unjudged(tmp_path, capsys):
    # The case: two back-to-back runs of the same code, 9.8 % apart.
    a = write_run(tmp_path, "a", 1000.0, 40)
    b = write_run(tmp_path, "b", 1098.0, 35)
    assert cli.main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert lines_of(out)["RPS"].split()[-1] == "unjudged"
    assert "+9.8 %" in lines_of(out)["RPS"]
    assert "improvement" not in out and "REGRESSION" not in out
    assert "the difference is unjudged" in out


def test_tight_repeats_make_a_ten_percent_drop_a_regression(tmp_path, capsys):
    a = repeat_set(tmp_path, "A", [1000.0, 1010.0, 990.0])
    b = repeat_set(tmp_path, "B", [900.0, 905.0, 895.0])
    assert cli.main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    rps = lines_of(out)["RPS"]
    assert "A (median of 3)" in out.splitlines()[0]
    assert rps.split()[1:3] == ["1,000.0", "900.0"]
    assert rps.endswith("REGRESSION")
    assert "noise: repeats (3 of A, 3 of B)" in out


def test_noisy_repeats_make_a_five_percent_drop_noise(tmp_path):
    a = repeat_set(tmp_path, "A", [1000.0, 1100.0, 920.0])  # CV about 7 %
    b = repeat_set(tmp_path, "B", [950.0, 1040.0, 880.0])
    _a, _b, results, _sources = pair.compare_sets(a, b)
    rps = results[0]
    assert rps.delta_pct == pytest.approx(-5.0)
    assert rps.margin_pct > 5.0
    assert rps.status == "within noise"


def test_the_scenario_history_is_the_noise_for_single_runs(tmp_path):
    rng = random.Random(3)
    for i in range(6):
        write_run(tmp_path, f"h{i}", 1000 * (1 + rng.gauss(0, 0.01)), 40)
    a = write_run(tmp_path, "a", 1000.0, 40)
    b = write_run(tmp_path, "b", 930.0, 40)
    _a, _b, results, sources = pair.compare_sets(a, b)
    assert sources[0] == "history (7 runs of the scenario)"  # six earlier runs and A, not B
    assert results[0].status == "REGRESSION"
    assert results[2].status == "within noise"  # p95 did not move


def test_another_scenario_s_history_is_no_noise_figure(tmp_path, capsys):
    for i in range(5):
        write_run(tmp_path, f"h{i}", 1000.0 + i, 40)
    a = write_run(tmp_path, "a", 1000.0, 40)
    b = write_run(tmp_path, "b", 800.0, 40, scenario="other")
    assert cli.main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "different scenarios" in out
    assert lines_of(out)["RPS"].endswith("unjudged")


@pytest.mark.parametrize("make", ["missing", "file", "empty", "bad-json"])
def test_hostile_arguments_are_clear_errors(tmp_path, capsys, make):
    good = write_run(tmp_path, "good", 1000.0, 40)
    bad = tmp_path / "bad"
    if make == "file":
        bad.write_text("not a run")
    elif make == "empty":
        bad.mkdir()
    elif make == "bad-json":
        bad.mkdir()
        (bad / run_dir.RUN_JSON).write_text("{not json")
    assert cli.main(["compare", str(good), str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad" in err and "Traceback" not in err


def test_repeats_md_shows_median_and_cv_of_each_figure(tmp_path):
    rps = [1000.0, 1100.0, 950.0]
    parent = repeat_set(tmp_path, "R", rps)
    text = repeats.write_repeats(parent).read_text()
    cv = compare.cv_pct(rps)
    assert f"| RPS | {statistics.median(rps):,.1f} | {cv:.1f} % | 3 | noisy |" in text
    assert "| p95 | 40 | 0.0 % | 3 |  |" in text
    assert text.count("summary.md") == 3


def test_a_repeat_set_compares_its_medians_with_the_history(tmp_path):
    # Two earlier single runs in the results directory; the set's medians are judged
    # against them (repeats count as one entry of the history, their medians).
    write_run(tmp_path, "old1", 2000.0, 40)
    write_run(tmp_path, "old2", 2000.0, 40)
    parent = repeat_set(tmp_path, "set", [1000.0, 1010.0, 990.0])
    text = repeats.write_repeats(parent).read_text()
    assert "The medians against 2 earlier run(s)" in text
    assert re.search(r"\| RPS \| 2,000\.0 \| 1,000\.0 \| -50\.0 % \| 0\.0 % \| REGRESSION \|", text)
    later = repeat_set(tmp_path, "later", [1000.0, 1000.0, 1000.0])
    text = repeats.write_repeats(later).read_text()
    assert "The medians against 3 earlier run(s) or repeat set(s)" in text
    assert re.search(r"\| RPS \| 2,000\.0 \| 1,000\.0 \| -50\.0 % \| [\d.]+ % \|", text)


def test_rig_report_on_a_repeat_set_writes_its_repeats_md(tmp_path, capsys):
    parent = repeat_set(tmp_path, "R", [1000.0, 1020.0, 980.0])
    assert cli.main(["report", str(parent)]) == 0
    assert capsys.readouterr().out.strip() == str(parent / repeats.REPEATS_MD)
    assert "| RPS | 1,000.0 | 1.6 % | 3 |  |" in (parent / repeats.REPEATS_MD).read_text()


def test_index_md_lists_repeat_sets_with_medians_and_cvs(tmp_path):
    write_run(tmp_path, "single", 1000.0, 40)
    parent = repeat_set(tmp_path, "R", [1000.0, 1100.0, 950.0])
    repeats.write_repeats(parent)
    index = (tmp_path / "index.md").read_text()
    cv = compare.cv_pct([1000.0, 1100.0, 950.0])
    assert f"| s | 3 | 1,000.0 ({cv:.1f} %, noisy) | 40 (0.0 %) | [R](R/repeats.md) |" in index
    assert "[single](#)" in index  # the single run is still listed with the runs
