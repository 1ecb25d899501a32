"""Loadgen pieces that need no server: command lines, documents, stages, gates, guards."""

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

# Importing locust monkey-patches the whole process with gevent, and pytest runs every other
# test in this process too: import it unpatched (the plugins' pure parts need no gevent).
os.environ["LOCUST_SKIP_MONKEY_PATCH"] = "1"
try:
    import locust  # noqa: F401
finally:
    del os.environ["LOCUST_SKIP_MONKEY_PATCH"]

from loadgen import documents, runner
from loadgen.plugins import saturation, slo
from loadgen.reset import match_pattern
from loadgen.shapes import Stage, parse_stages, run_time_over
from loadgen.shapes.capacity import step_figures
from rig.errors import RigError


def test_every_issue_scenario_exists_and_names_its_tags():
    names = runner.list_scenarios()
    for required in (
        "post_15k",
        "get_doc",
        "get_field",
        "update_field",
        "mixed",
        "small_json",
        "capacity",
    ):
        assert required in names
    for name in names:
        settings = runner.scenario_settings(name)
        assert settings["tags"].startswith("[") and settings["tags"].endswith("]"), name
        assert "locustfile" in settings


def test_unknown_scenario_names_the_known_ones():
    with pytest.raises(RigError, match="post_15k") as caught:
        runner.scenario_path("nope")
    assert "unknown scenario 'nope'" in str(caught.value)
    with pytest.raises(RigError):
        runner.scenario_path("../scenarios/post_15k")


def test_master_argv_writes_every_output_into_the_run_dir(tmp_path):
    argv = runner.master_argv(
        "capacity",
        "http://app:8000",
        tmp_path,
        4,
        run_time="30s",
        users=8,
        spawn_rate=2.5,
        prometheus_port=9700,
        master_bind_port=5600,
        extra=["--stop-timeout", "5"],
    )
    text = " ".join(argv)
    assert f"--csv {tmp_path}/locust --csv-full-history" in text
    assert f"--html {tmp_path}/locust_report.html" in text
    assert f"--json-file {tmp_path}/locust_stats " in text
    assert "--master --master-bind-port 5600 --expect-workers 4" in text
    assert "--run-time 30s --users 8 --spawn-rate 2.5" in text
    assert "--prometheus-port 9700" in text
    assert argv[-2:] == ["--stop-timeout", "5"]
    locustfiles = argv[argv.index("-f") + 1].split(",")
    assert [Path(p).name for p in locustfiles] == ["locustfile.py", "capacity.py"]
    assert all(Path(p).is_absolute() and Path(p).is_file() for p in locustfiles)


def test_standalone_and_worker_argv():
    argv = runner.master_argv("post_15k", "http://h", Path("/r"), 0)
    assert "--master" not in argv and "--expect-workers" not in argv
    worker = runner.worker_argv("10.0.0.5", 5600, ["--loglevel", "WARNING"], processes=4)
    assert worker[2:4] == ["locust", "--worker"]
    assert "--master-host 10.0.0.5 --master-port 5600 --processes 4" in " ".join(worker)
    assert worker[-2:] == ["--loglevel", "WARNING"]


def test_runner_main_prints_the_command(capsys):
    assert runner.main(["worker", "--master-host", "m", "--print"]) == 0
    assert "--worker" in capsys.readouterr().out
    assert runner.main(["master", "--scenario", "x", "--host", "h", "--run-dir", "r", "--print"])
    assert "known scenarios" in capsys.readouterr().err


def test_runner_runs_an_own_locustfile_without_a_scenario(capsys, monkeypatch):
    """What the benchmark role does for benchmark_locustfile: the master with the files and
    no conf, the workers pointed at the same files through RIG_LOCUSTFILE."""
    files = "/opt/rig/loadgen/own/mine.py,/opt/rig/loadgen/current/loadgen/rig_plugins.py"
    argv = ["master", "--host", "h", "--run-dir", "r", "--locustfile", files, "--print"]
    assert runner.main(argv) == 0
    master = capsys.readouterr().out
    assert f"-f {files} " in master and "--config" not in master
    assert runner.main(["master", "--host", "h", "--run-dir", "r", "--print"]) == 2
    assert "without a scenario a locustfile is needed" in capsys.readouterr().err
    monkeypatch.setenv(runner.WORKER_LOCUSTFILE_ENV, files)
    assert runner.main(["worker", "--master-host", "m", "--print"]) == 0
    assert f"--worker -f {files} " in capsys.readouterr().out
    monkeypatch.setenv(runner.WORKER_LOCUSTFILE_ENV, "")  # an empty file: the bundled one
    assert runner.main(["worker", "--master-host", "m", "--print"]) == 0
    assert f"-f {runner.LOCUSTFILE} " in capsys.readouterr().out


def test_documents_are_deterministic_and_sized():
    assert documents.make_document(7) == documents.make_document(7)
    assert documents.make_document(7) != documents.make_document(8)
    for size, target in documents.SIZES.items():
        body = documents.body(3, size)
        doc = json.loads(body)
        assert isinstance(doc["stats"]["attack"], int) and isinstance(doc["stats"]["speed"], int)
        assert 0.7 * target <= len(body) <= 1.3 * target, (size, len(body))
    doc = json.loads(documents.body(0, "15k"))
    assert {"moves", "evolutions", "battle_log", "trainer"} <= doc.keys()
    # Dates are not drawn up to the clock's now: the same document at any moment of any day.
    for index in range(8):
        doc = documents.make_document(index)
        dates = [doc["caught"], doc["trainer"]["since"]] + [b["at"] for b in doc["battle_log"]]
        assert max(dates) < documents.LATEST_DATE.isoformat(), index
    assert documents.seed_id(12) == "seed-000012"
    with pytest.raises(ValueError, match="small, 15k, 100k"):
        documents.check_size("1m")


def test_stages_parse_from_text_and_file(tmp_path):
    assert parse_stages("10:30s, 50:1m:25") == [Stage(10, 30.0, 10.0), Stage(50, 60.0, 25.0)]
    path = tmp_path / "stages.txt"
    path.write_text("# users:duration\n5:10s\n\n20:5s:4  # peak\n")
    assert parse_stages(f"@{path}") == [Stage(5, 10.0, 10.0), Stage(20, 5.0, 4.0)]
    for bad in ("", "10", "x:10s", "10:10s:0", "-1:5s"):
        with pytest.raises(ValueError):
            parse_stages(bad)


def test_shapes_stop_at_run_time_only_when_one_is_given():
    assert run_time_over(SimpleNamespace(run_time=5), 5.0)
    assert not run_time_over(SimpleNamespace(run_time=5), 4.9)
    assert not run_time_over(SimpleNamespace(run_time=None), 1e9)


def test_gates_pass_and_fail_in_the_right_direction():
    limits = {"p95_ms": 100.0, "rps": 50.0, "fail_ratio": 0.01}
    gates = {
        g.name: g.passed
        for g in slo.evaluate(limits, {"p95_ms": 80.0, "rps": 40.0, "fail_ratio": 0.01})
    }
    assert gates == {"p95_ms": True, "rps": False, "fail_ratio": True}
    missing = slo.evaluate({"p99_ms": 5.0}, {"p99_ms": None})
    assert missing[0].passed is False
    options = SimpleNamespace(slo_p95_ms=None, slo_p99_ms=5, slo_fail_ratio=0.0, slo_min_rps=None)
    assert slo.thresholds(options) == {"p99_ms": 5.0, "fail_ratio": 0.0}


def test_capacity_step_figures_use_only_the_window():
    before = {"requests": 100, "failures": 1, "times": {10: 90, 200: 10}, "at": 0.0}
    after = {"requests": 300, "failures": 3, "times": {10: 90, 20: 150, 200: 60}, "at": 10.0}
    figures = step_figures(before, after)
    assert figures["requests"] == 200 and figures["rps"] == 20.0
    assert figures["fail_ratio"] == 0.01
    assert figures["p95_ms"] == 200.0  # 50 of the window's 200 took 200 ms


def test_saturation_guard_flags_only_a_long_spell(capsys):
    guard = saturation.Guard(threshold=90, seconds=5)
    for second in range(4):
        guard.observe("w1", 99, float(second))
    guard.observe("w1", 50, 4.0)
    for second in range(5, 12):
        guard.observe("w2", 95, float(second))
        guard.observe("w1", 95 if second % 2 else 10, float(second))
    report = guard.report()
    assert report["flagged"] and list(report["saturated"]) == ["w2"]
    assert report["peak_cpu_percent"] == {"w1": 99, "w2": 95}
    assert "w2 above 90 % CPU" in capsys.readouterr().err


def test_reset_pattern_escapes_globs_and_refuses_empty_prefix():
    assert match_pattern("rig:") == "rig:*"
    assert match_pattern("a*b?[c]") == r"a\*b\?\[c\]*"
    with pytest.raises(RigError, match="empty prefix"):
        match_pattern("")


def test_worker_reports_carry_the_cpu_the_guard_judges():
    guard = saturation.Guard(threshold=90, seconds=5)
    guard.tally("w1", {"stats_total": {"num_requests": 10}, saturation.CPU_KEY: 42.5})
    guard.tally("w1", {"stats_total": {"num_requests": 5}, saturation.CPU_KEY: 17.0})
    guard.tally("w2", {"stats_total": {"num_requests": 3}})  # a worker without the plugin
    assert guard.cpu_now == {"w1": 17.0}
    assert guard.report()["peak_cpu_percent"] == {"w1": 42.5}
    assert guard.workers() == ["w1", "w2"] and guard.worker_requests["w1"] == 15
