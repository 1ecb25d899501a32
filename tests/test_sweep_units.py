"""The sweep's grid, ranking and recommendation, without servers."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rig.errors import RigError
from rig.sweep import grid, recommend
from rig.sweep.render import arrival_cells, table_row


def test_the_issue_s_grid_runs_each_meaningful_setting_once_and_lists_the_rest():
    dims = grid.parse_args(["server=gunicorn,granian", "worker_class=gevent,gthread,sync",
                            "workers=1,2", "threads=4,16"])  # fmt: skip
    expanded = grid.expand(dims)
    labels = [p.label for p in expanded.points]
    assert labels == [
        "gunicorn gevent 1w", "gunicorn gevent 2w",
        "gunicorn gthread 1w 4t", "gunicorn gthread 1w 16t",
        "gunicorn gthread 2w 4t", "gunicorn gthread 2w 16t",
        "gunicorn sync 1w", "gunicorn sync 2w",
        "granian 1w 4t", "granian 1w 16t", "granian 2w 4t", "granian 2w 16t",
    ]  # fmt: skip
    reasons = dict(expanded.skipped)
    assert len(expanded.points) + len(expanded.skipped) == 24
    assert (
        "threads with gevent" in reasons["server=gunicorn worker_class=gevent workers=1 threads=16"]
    )
    assert "threads with sync" in reasons["server=gunicorn worker_class=sync workers=2 threads=16"]
    assert "worker_class with granian" in reasons[
        "server=granian worker_class=sync workers=1 threads=4"]  # fmt: skip


def test_a_grid_file_adds_points_with_their_own_settings(tmp_path):
    path = tmp_path / "g.yml"
    path.write_text("grid:\n  server: [granian]\n  threads: [8]\npoints:\n"
                    "  - {server: gunicorn, worker_class: gthread, threads: 2,"
                    " env: {RIG_REDIS_TIMEOUT_MS: 500}}\n")  # fmt: skip
    dims, extra = grid.load_file(path)
    points = grid.expand(dims, extra).points
    assert [p.label for p in points] == [
        "granian 1w 8t", "gunicorn gthread 1w 2t RIG_REDIS_TIMEOUT_MS=500"]  # fmt: skip


@pytest.mark.parametrize(
    ("tokens", "message"),
    [
        (["server=uwsgi"], "server=uwsgi is not one of gunicorn, granian"),
        (["workers=0"], "workers=0 is not one of whole numbers from 1 to 64"),
        (["threads=-1,4"], "threads=-1 is not"),
        (["threads="], "threads has no values"),
        (["colour=red"], "not KEY=V1,V2 with KEY one of"),
        (["workers=1", "workers=2"], "workers is given twice"),
        (["workers"], "not KEY=V1,V2"),
    ],
)
def test_a_bad_grid_is_a_clear_error(tokens, message):
    with pytest.raises(RigError, match=message):
        grid.parse_args(tokens)


@pytest.mark.parametrize(
    "text",
    ["- a list", "grid: [1, 2]", "grid: {colour: [red]}", "points: [{server: gunicorn, x: 1}]",
     "points: [{env: {PATH: /tmp}}]", "grid: {server: [", "other: 1"],
)  # fmt: skip
def test_a_bad_grid_file_is_a_clear_error(tmp_path, text):
    path = tmp_path / "g.yml"
    path.write_text(text)
    with pytest.raises(RigError, match="grid"):
        dims, extra = grid.load_file(path)
        grid.expand(dims, extra)


def test_a_grid_too_large_to_run_is_refused():
    dims = grid.parse_args(["workers=" + ",".join(map(str, range(1, 41))), "threads=1,2,3",
                            "worker_class=gthread"])  # fmt: skip
    with pytest.raises(RigError, match="more than 100"):
        grid.expand(dims)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=5))
def test_any_command_line_grid_is_points_or_a_rig_error(tokens):
    try:
        expanded = grid.expand(grid.parse_args(tokens))
    except RigError as exc:
        assert str(exc).startswith("grid")
        return
    assert 1 <= len(expanded.points) <= grid.MAX_POINTS


def _row(label, rps, validity="VALID", slo="PASS", per_cpu=None):
    return {"label": label, "rps": rps, "validity": validity, "slo": slo,
            "requests_per_api_cpu_s": per_cpu}  # fmt: skip


def test_a_suspect_or_slo_failing_point_is_never_recommended_even_when_fastest():
    rows = [_row("fast but suspect", 9000, validity="SUSPECT"),
            _row("missed", 8000, slo="FAIL"), _row("good", 3000), _row("slower", 1500),
            _row("no gates", 2000, slo="n/a")]  # fmt: skip
    chosen = recommend.recommend(rows, "throughput")
    assert chosen.row["label"] == "good"
    assert (
        "2 point(s) excluded" in chosen.reason and "1.50x the runner-up, no gates" in chosen.reason
    )
    assert [r["label"] for r in recommend.rank(rows, "throughput")][:2] == [
        "fast but suspect", "missed"]  # fmt: skip


def test_efficiency_with_a_target_picks_the_cheapest_point_that_reaches_it():
    rows = [_row("cheap but slow", 900, per_cpu=5000), _row("fast", 3000, per_cpu=2000),
            _row("balanced", 2100, per_cpu=3500)]  # fmt: skip
    chosen = recommend.recommend(rows, "efficiency", target_rps=2000)
    assert chosen.row["label"] == "balanced"
    assert recommend.recommend(rows, "efficiency", target_rps=10_000).row is None


def test_a_row_shows_missing_figures_as_dashes():
    row = table_row(1, {"server": "granian", "worker_class": None, "workers": 2, "threads": 8,
                        "env": {}, "run_id": "r1", "rps": None, "api_rss_bytes": None})  # fmt: skip
    assert (row["worker_class"], row["rps"], row["per_cpu_s"], row["rss"]) == ("—",) * 4


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "give a grid"),
        (["--grid", "workers=0"], "workers=0 is not one of"),
        (["--grid-file", "/nonexistent/grid.yml"], "grid file /nonexistent/grid.yml"),
        (["--grid", "workers=1", "--scenario", "nope"], "unknown scenario 'nope'"),
        (["--grid", "workers=1", "--users", "0"], "--users must be at least 1"),
        (["--grid", "workers=1", "--target-rps", "-5"], "--target-rps must be above 0"),
    ],
)
def test_rig_sweep_refuses_bad_input_with_one_line_and_runs_nothing(argv, message, tmp_path,
                                                                    capsys):  # fmt: skip
    from rig import cli

    code = cli.main(["sweep", *argv, "--results-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("rig sweep: error: ") and message in err
    assert len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_a_point_short_of_its_arrival_rate_is_marked_and_never_recommended():
    rows = [{**_row("short", 9000), "target_rate": 10_000.0, "achieved_rate": 9000.0,
             "arrival_short": True},
            {**_row("on target", 5000), "target_rate": 5000.0, "achieved_rate": 4990.0,
             "arrival_short": False}]  # fmt: skip
    assert "coordinated omission" in recommend.eligible(rows[0])
    assert recommend.recommend(rows, "throughput").row["label"] == "on target"
    assert arrival_cells(rows[0]) == ("10,000.0", "9,000.0 (90.0%, CO)")
    assert arrival_cells(rows[1]) == ("5,000.0", "4,990.0 (99.8%)")
    assert arrival_cells({"target_rate": 50.0, "achieved_rate": None}) == ("50.0", "unknown, CO")
    assert arrival_cells({"rps": 5.0}) == ("—", "—")


@pytest.mark.parametrize("bad", ["0", "-3", "nan", "inf"])
def test_a_bad_arrival_rate_is_refused_before_any_point_runs(bad, tmp_path, capsys):
    from rig import cli

    argv = ["sweep", "--grid", "workers=1", f"--arrival-rate={bad}", "--results-dir", str(tmp_path)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "--arrival-rate must be a number of requests per second above 0" in err
    assert list(tmp_path.iterdir()) == []
