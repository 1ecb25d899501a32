"""`rig sweep-lab` (the Python half of playbooks/sweep.yml) without a lab: the plan from a grid
given as Ansible passes it, and sweep.md from run directories (copies of the report fixtures,
reported by the real `rig report`), with hostile grids and runs.json files."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rig import cli
from rig.errors import RigError
from rig.sweep import lab

RIG = str(Path(sys.executable).parent / "rig")
FIXTURES = Path(__file__).parent / "fixtures" / "report" / "results"
RUNS = ["20251126T200000Z-post_15k", "20251126T210000Z-post_15k"]
GRID = {"server": ["gunicorn", "granian"], "worker_class": ["sync", "gthread"], "threads": [2]}


def _plan(tmp_path, grid=GRID) -> dict:
    argv = ["sweep-lab", "plan", "--grid", json.dumps(grid), "--scenario", "post_15k",
            "--users", "4", "--run-time", "10s", "--results-dir", str(tmp_path)]  # fmt: skip
    assert cli.main(argv) == 0
    return json.loads((next(tmp_path.iterdir()) / lab.PLAN_JSON).read_text())


def test_the_plan_expands_the_grid_with_rig_sweep_s_rules(tmp_path, capsys):
    plan = _plan(tmp_path)
    printed = json.loads(capsys.readouterr().out)
    assert printed == plan
    assert [p["label"] for p in plan["points"]] == [
        "gunicorn sync 1w", "gunicorn gthread 1w 2t", "granian 1w 2t"]  # fmt: skip
    assert [why for _, why in plan["skipped"]] == [
        "worker_class with granian (Granian has no worker classes)"]  # fmt: skip
    assert plan["load"] == "4 users for 10s, the lab's Locust workers"
    assert Path(plan["path"]).parent == tmp_path


def test_a_grid_file_s_content_with_extra_points_is_a_grid_too():
    grid = lab.grid_of({"grid": {"workers": [1, 2]},
                        "points": [{"server": "granian", "threads": 8}]})  # fmt: skip
    assert [p.label for p in grid.points] == ["gunicorn gevent 1w", "gunicorn gevent 2w",
                                              "granian 1w 8t"]  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers(-5, 70) | st.text(max_size=12),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(["grid", "points", "server", "workers", "threads", "env", "x"]),
                inner,
                max_size=3,
            )
        ),
        max_leaves=8,
    )
)
def test_any_grid_ansible_may_pass_is_points_or_a_rig_error(data):
    try:
        grid = lab.grid_of(data)
    except RigError:
        return
    assert grid.points


def _sweep_with_runs(tmp_path) -> Path:
    plan = _plan(tmp_path, {"server": ["gunicorn", "granian"], "threads": [2]})
    path = Path(plan["path"])
    for run_id in RUNS:
        shutil.copytree(FIXTURES / run_id, path / run_id)
        built = subprocess.run([RIG, "report", str(path / run_id), "--results-dir", str(path)],
                               capture_output=True, text=True, timeout=300)  # fmt: skip
        assert built.returncode == 0, built.stderr
    return path


def test_sweep_md_has_one_row_per_point_from_its_own_report(tmp_path):
    path = _sweep_with_runs(tmp_path)
    runs = [{"label": "gunicorn gevent 1w", "run_id": RUNS[0]},
            {"label": "granian 1w 2t", "run_id": RUNS[1]}]  # fmt: skip
    (path / lab.RUNS_JSON).write_text(json.dumps({"runs": runs}))
    assert lab.write(path) in ("gunicorn gevent 1w", "granian 1w 2t", None)
    data = json.loads((path / "sweep.json").read_text())
    sweep_md = (path / "sweep.md").read_text()
    for entry in runs:
        report = json.loads((path / entry["run_id"] / "report.json").read_text())
        row = next(r for r in data["rows"] if r["label"] == entry["label"])
        assert row["run_id"] == entry["run_id"]
        assert row["rps"] == report["figures"]["rps"]
        assert f"[{entry['run_id']}]({entry['run_id']}/summary.md)" in sweep_md
        assert f"{report['figures']['rps']:,.1f}" in sweep_md


def test_a_point_that_did_not_run_is_listed_not_tabled(tmp_path):
    path = _sweep_with_runs(tmp_path)
    runs = [{"label": "gunicorn gevent 1w", "run_id": RUNS[0]},
            {"label": "granian 1w 2t", "run_id": None,
             "error": "the API did not come up"}]  # fmt: skip
    (path / lab.RUNS_JSON).write_text(json.dumps({"runs": runs}))
    lab.write(path)
    sweep_md = (path / "sweep.md").read_text()
    assert "## Points that did not run\n\n- granian 1w 2t: the API did not come up" in sweep_md
    assert len(json.loads((path / "sweep.json").read_text())["rows"]) == 1


@pytest.mark.parametrize(
    ("runs", "message"),
    [
        ("[]", "must hold a JSON object"),
        ('{"runs": {"a": 1}}', "expected"),
        ('{"runs": [{"label": "uwsgi 9w", "run_id": "x"}]}', "not a point of the plan"),
        ('{"runs": [{"label": "granian 1w 2t", "run_id": "../../etc"}]}', "not a run id"),
        ('{"runs": [{"label": "granian 1w 2t", "run_id": 5}]}', "not a run id"),
        ("not json", "not valid JSON"),
    ],
)
def test_a_hostile_runs_json_is_a_clear_error(tmp_path, runs, message):
    path = Path(_plan(tmp_path, {"server": ["granian"], "threads": [2]})["path"])
    (path / lab.RUNS_JSON).write_text(runs)
    with pytest.raises(RigError, match=message):
        lab.write(path)
    assert not (path / "sweep.md").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["plan", "--grid", "{}", "--scenario", "get_doc"], "give a grid"),
        (["plan", "--grid", "[1", "--scenario", "get_doc"], "not YAML"),
        (["plan", "--grid", "{colour: [1]}", "--scenario", "get_doc"], "unknown dimension"),
        (["plan", "--grid", "{workers: [0]}", "--scenario", "get_doc"], "workers=0 is not"),
        (["plan", "--grid", "{workers: [1]}", "--scenario", "../etc"], "does not exist"),
        (["plan", "--grid", "{workers: [1]}", "--scenario", "get_doc", "--target-rps", "nan"],
         "--target-rps must be above 0"),
        (["plan", "--grid", "{workers: [1]}", "--scenario", "get_doc", "--users", "0"],
         "--users must be a whole number"),
        (["plan", "--grid", "{workers: [1]}", "--scenario", "get_doc", "--users", "4; rm"],
         "--users must be a whole number"),
        (["plan", "--grid", "{workers: [1]}", "--scenario", "get_doc", "--run-time", "10 s"],
         "--run-time must be like 20s"),
        (["write", "/nonexistent"], "no plan.json"),
    ],
)  # fmt: skip
def test_rig_sweep_lab_refuses_bad_input_in_one_line(tmp_path, capsys, argv, message):
    code = cli.main(["sweep-lab", *argv, *(["--results-dir", str(tmp_path)] * (argv[0] == "plan"))])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("rig sweep-lab: error: ") and message in err
    assert len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
