"""run.json from both writers: `rig local` in process and `rig run-info` (the benchmark
role's command, and the role's own task run by ansible-playbook) give the same bytes."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rig import cli
from rig.local import plan, results
from rig.ports import free_port
from rundir import fingerprint, runinfo
from rundir.files import HISTORY_CSV, RUN_JSON

FIXTURE_RUN = Path(__file__).parent / "fixtures/report/results/20251126T233320Z-post_15k"
RIG = Path(sys.executable).parent / "rig"
# The fixture's history: users from 1764200001 to 1764200060, a 0-user row at 1764200000.
LAUNCHED, FINISHED = 1764199990.25, 1764200075.5


def _run_dir(parent: Path, name: str) -> Path:
    path = parent / name
    path.mkdir(parents=True)
    shutil.copy(FIXTURE_RUN / HISTORY_CSV, path / HISTORY_CSV)
    return path


def test_local_and_the_role_command_write_byte_identical_run_json(json_redis, tmp_path):
    the_plan = plan.plan(plan.LocalOptions(scenario="post_15k", results_dir=tmp_path / "local"))
    shutil.copytree(FIXTURE_RUN, the_plan.path)
    (the_plan.path / RUN_JSON).unlink()
    monitoring = {"source": "psutil", "scrape_interval": 1, "targets": {}}
    results.run_info(
        the_plan,
        LAUNCHED,
        FINISHED,
        target="http://127.0.0.1:8000",
        locust_exit_code=1,
        monitoring=monitoring,
        versions=fingerprint.versions(json_redis.url),
        incidents=["the API (Gunicorn) exited during the run (code 1); see logs/api.log"],
    ).write(the_plan.path)
    written_locally = json.loads((the_plan.path / RUN_JSON).read_text())

    role_dir = _run_dir(tmp_path / "role", the_plan.run_id)
    # The facts as the role passes them: JSON options, numbers as the inventory's strings.
    config = {k: str(v) for k, v in written_locally["config"].items()}
    argv = [
        str(RIG), "run-info", str(role_dir), "--scenario", "post_15k",
        "--run-id", the_plan.run_id, "--launched", str(LAUNCHED), "--finished", str(FINISHED),
        "--bench", written_locally["bench"], "--target", "http://127.0.0.1:8000",
        "--config", json.dumps(config), "--hosts", json.dumps(written_locally["hosts"]),
        "--monitoring", json.dumps(monitoring),
        "--versions", json.dumps(fingerprint.box_versions()),
        "--incident", written_locally["incidents"][0],
    ]  # fmt: skip
    env = {**os.environ, "RIG_REDIS_URL": json_redis.url}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (role_dir / RUN_JSON).read_bytes() == (the_plan.path / RUN_JSON).read_bytes()
    assert written_locally["config"]["users"] == 50  # "50" from a conf file is a number
    assert (written_locally["start"], written_locally["end"]) == (1764200000, 1764200061)
    assert re.fullmatch(r"[0-9a-f]{40}(-dirty)?", written_locally["git_rev"])
    assert written_locally["versions"]["redisjson"].count(".") == 2


def test_the_benchmark_role_writes_run_json_through_rig_run_info(json_redis, tmp_path):
    """The role's own task (roles/benchmark/tasks/run_info.yml), run on this box."""
    results = tmp_path / "results"
    run = _run_dir(results, "20251126T233320Z-post_15k")
    inventory = tmp_path / "hosts.yml"
    groups = ("redis", "app", "locust_master", "locust_workers", "monitoring")
    host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inventory.write_text(json.dumps({g: {"hosts": {"localhost": host}} for g in groups}))
    facts = {
        "_benchmark_run_id": run.name,
        "_benchmark_run_dir": str(run),
        "_benchmark_scenario": "post_15k",
        "_benchmark_launched": LAUNCHED,
        "_benchmark_finished": FINISHED,
        "_benchmark_users": "50",
        "_benchmark_spawn_rate": "25",
        "_benchmark_run_time": "60s",
        "_benchmark_seed_count": "1000",
        "_benchmark_doc_size": "15k",
        "benchmark_results_dir": str(results),
        "benchmark_redis_url": json_redis.url,
        "benchmark_rig_command": str(RIG),
        "benchmark_bench": "lab-test",
    }
    playbook = tmp_path / "run_info.yml"
    task = {"ansible.builtin.include_role": {"name": "benchmark", "tasks_from": "run_info.yml"}}
    play = {"hosts": "localhost", "gather_facts": False, "vars": facts, "tasks": [task]}
    playbook.write_text(json.dumps([play]))
    argv = [str(RIG.parent / "ansible-playbook"), "-i", str(inventory), str(playbook)]
    env = {**os.environ, "ANSIBLE_ROLES_PATH": str(fingerprint.CHECKOUT / "roles")}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    info = runinfo.RunInfo.read(run)
    assert (info.start, info.end) == (1764200000, 1764200061)  # as `rig local` has it
    assert (info.launched, info.finished) == (LAUNCHED, FINISHED)
    assert info.git_rev == fingerprint.git_rev()
    assert info.config["users"] == 50 and info.config["locust_exit_code"] is None
    assert info.hosts["localhost"]["roles"] == ["redis", "app", "locust_master", "locust_worker",
                                                "monitoring"]  # fmt: skip
    assert info.versions["redisjson"] == fingerprint.redis_versions(json_redis.url)["redisjson"]
    assert info.monitoring["prometheus"] == "http://localhost:9090"
    assert json_redis.url not in done.stdout  # the URL may hold the Redis password


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--config", "{users: 5}", "not JSON"),
        ("--hosts", '["app1"]', "must be a JSON object"),
        ("--versions", "null", "must be a JSON object"),
        ("--launched", "yesterday", "is not epoch seconds"),
        ("--finished", "-5", "is not epoch seconds"),
        ("--finished", "inf", "is not epoch seconds"),
    ],
)
def test_rig_run_info_refuses_malformed_options(tmp_path, capsys, option, value, message):
    run = _run_dir(tmp_path, "run")
    argv = ["run-info", str(run), "--scenario", "s", "--launched", "1", "--finished", "2"]
    with pytest.raises(SystemExit) as exited:
        cli.main([*argv, option, value])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err
    assert not (run / RUN_JSON).exists()


def test_rig_run_info_errors_name_the_problem(tmp_path, capsys):
    argv = ["--scenario", "s", "--launched", "5", "--finished", "9", "--redis-url", "nope://x"]
    assert cli.main(["run-info", str(tmp_path / "absent"), *argv]) == 2
    assert "is not a directory" in capsys.readouterr().err
    run = _run_dir(tmp_path, "run")
    assert cli.main(["run-info", str(run), *argv[:4], "--finished", "4"]) == 2
    assert "--finished is before --launched" in capsys.readouterr().err
    assert cli.main(["run-info", str(run), *argv]) == 2
    assert "Redis URL is malformed" in capsys.readouterr().err
    assert not (run / RUN_JSON).exists()


def test_an_unreachable_redis_is_noted_in_versions_not_fatal(tmp_path):
    run = _run_dir(tmp_path, "run")
    url = f"redis://127.0.0.1:{free_port()}/0"
    argv = ["run-info", str(run), "--scenario", "s", "--launched", "5", "--finished", "9"]
    assert cli.main([*argv, "--redis-url", url]) == 0
    assert runinfo.RunInfo.read(run).versions == {"redis": "unknown (ConnectionError)"}
