"""The regression rule on crafted histories: stable regression and improvement, noisy baseline."""

from pathlib import Path

import pytest

from reports import compare
from rig import cli

RPS = next(m for m in compare.METRICS if m.key == "rps")
P95 = next(m for m in compare.METRICS if m.key == "p95")
FAILS = next(m for m in compare.METRICS if m.key == "fail_ratio")

STABLE_RPS = [1000.0, 1010.0, 990.0, 1005.0, 995.0]  # CV about 0.7 %
UNSTABLE_RPS = [800.0, 1200.0, 1000.0, 900.0, 1100.0]  # CV about 14 %


def test_lower_rps_on_a_stable_baseline_is_a_regression():
    result = compare.compare(RPS, STABLE_RPS, 940.0)
    assert result.baseline == 1000.0
    assert result.delta_pct == pytest.approx(-6.0)
    assert result.status == "REGRESSION"


def test_higher_latency_on_a_stable_baseline_is_a_regression():
    assert compare.compare(P95, [40.0, 40.0, 41.0], 43.0).status == "REGRESSION"


def test_higher_rps_on_a_stable_baseline_is_an_improvement():
    assert compare.compare(RPS, STABLE_RPS, 1100.0).status == "improvement"


def test_lower_latency_on_a_stable_baseline_is_an_improvement():
    assert compare.compare(P95, [40.0, 40.0, 41.0], 30.0).status == "improvement"


def test_a_change_under_five_percent_is_ok():
    assert compare.compare(RPS, STABLE_RPS, 960.0).status == "ok"
    assert compare.compare(P95, [40.0], 41.9).status == "ok"


def test_exactly_five_percent_worse_is_a_regression():
    assert compare.compare(RPS, [1000.0], 950.0).status == "REGRESSION"


def test_a_noisy_baseline_is_flagged_instead_of_judged():
    result = compare.compare(RPS, UNSTABLE_RPS, 700.0)
    assert result.cv_pct > compare.STABLE_CV_PCT
    assert result.status == "unstable baseline"


def test_only_the_last_five_runs_make_the_baseline():
    # The first, very different run falls out of the window: the baseline stays stable.
    result = compare.compare(RPS, [5000.0, *STABLE_RPS], 1000.0)
    assert result.runs == 5
    assert result.baseline == 1000.0
    assert result.status == "ok"


def test_baseline_is_the_median_not_the_mean():
    assert compare.compare(P95, [10.0, 11.0, 100.0], 11.0).baseline == 11.0


def test_failures_appearing_on_a_clean_baseline_are_a_regression_beyond_the_floor():
    assert compare.compare(FAILS, [0.0, 0.0, 0.0], 0.05).status == "REGRESSION"
    assert compare.compare(FAILS, [0.0, 0.0, 0.0], 0.0001).status == "ok"


def test_no_history_means_no_baseline():
    result = compare.compare(RPS, [], 1000.0)
    assert result.status == "no baseline"
    assert compare.format_delta(result) == "n/a"


def test_ratio_and_delta_handle_a_zero_baseline():
    assert compare.ratio(0.0, 5.0) is None
    assert compare.delta_pct(0.0, 0.0) == 0.0
    assert compare.delta_pct(200.0, 150.0) == pytest.approx(-25.0)


def test_compare_all_covers_every_key_figure():
    current = {"rps": 900.0, "p50": 20.0, "p95": 40.0, "p99": 60.0, "fail_ratio": 0.0}
    history = [dict(current, rps=1000.0)] * 3
    statuses = {c.metric.key: c.status for c in compare.compare_all(history, current)}
    assert statuses == {
        "rps": "REGRESSION",
        "p50": "ok",
        "p95": "ok",
        "p99": "ok",
        "fail_ratio": "ok",
    }


def test_rig_compare_prints_both_runs_and_the_verdict(capsys):
    results = Path(__file__).parent / "fixtures" / "report" / "results"
    a, b = results / "20251126T220000Z-post_15k", results / "20251126T233320Z-post_15k"
    assert cli.main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert "990.0" in lines["RPS"] and "900.0" in lines["RPS"]
    assert "-9.1 %" in lines["RPS"] and lines["RPS"].endswith("REGRESSION")
    assert lines["p95"].split()[-1] == "REGRESSION"  # 40 -> 44 ms


def test_rig_compare_of_a_missing_run_is_a_clear_error(tmp_path, capsys):
    assert cli.main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 2
    assert "is not a directory" in capsys.readouterr().err
