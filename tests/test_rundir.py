"""The run-directory package: one run.json for `rig local` and the benchmark role's command."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from rig import cli, local
from rig.ports import free_port
from rundir import fingerprint, history, runinfo
from rundir.errors import RunDirError
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
    the_plan = local.plan(local.LocalOptions(scenario="post_15k", results_dir=tmp_path / "local"))
    shutil.copytree(FIXTURE_RUN, the_plan.path)
    (the_plan.path / RUN_JSON).unlink()
    monitoring = {"source": "psutil", "scrape_interval": 1, "targets": {}}
    local.run_info(
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


def test_the_window_is_the_seconds_with_users_within_launch_and_exit():
    rows = history.read_history(FIXTURE_RUN / HISTORY_CSV)
    assert history.window(rows, LAUNCHED, FINISHED) == (1764200000, 1764200061)
    # A master that exited early (or started late) bounds the window.
    assert history.window(rows, 1764200010.5, 1764200030.0) == (1764200010.5, 1764200030.0)


@pytest.mark.parametrize(
    "rows",
    [
        [],
        [{"Timestamp": "1764200001", "User Count": "0"}],
        [{"Timestamp": "not a time", "User Count": "5"}, {"Timestamp": "nan", "User Count": "5"}],
        [{"User Count": "5"}, {"Timestamp": "", "User Count": None}],
    ],
)
def test_without_a_second_with_users_the_window_is_launch_to_exit(rows):
    assert history.window(rows, 100.0, 160.0) == (100.0, 160.0)


def test_a_window_lasts_at_least_one_second():
    rows = [{"Timestamp": "200", "User Count": "3"}]
    assert history.window(rows, 199.5, 199.8) == (199.5, 200.5)


def test_run_info_round_trips_and_keeps_fields_it_does_not_know():
    text = (FIXTURE_RUN / RUN_JSON).read_text()
    info = runinfo.RunInfo.from_json(text)
    assert info.scenario == "post_15k" and info.start == 1764200000
    again = runinfo.RunInfo.from_json(info.to_json())
    assert again == info
    old = runinfo.RunInfo.from_dict({"start": 1, "end": 2, "report": {"slo": "PASS"}})
    assert json.loads(old.to_json())["report"] == {"slo": "PASS"}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        "null",
        '{"end": 2}',
        '{"start": "soon", "end": 2}',
        '{"start": 1, "end": NaN}',
        '{"start": true, "end": 2}',
        '{"start": 1, "end": 2, "hosts": ["app1"]}',
        '{"start": 1, "end": 2, "config": "users=5"}',
        '{"start": 1, "end": 2, "incidents": "one"}',
        "\x00\xff",
    ],
)
def test_malformed_run_json_is_a_clear_run_dir_error(text):
    with pytest.raises(RunDirError):
        runinfo.RunInfo.from_json(text)


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


def _commit(repo: Path) -> str:
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "f").write_text("one\n")
    subprocess.run([*git, "add", "f"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "one"], check=True)
    return subprocess.run(
        [*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_git_rev_is_the_full_hash_and_says_dirty(tmp_path):
    rev = _commit(tmp_path)
    assert fingerprint.git_rev(tmp_path) == rev
    (tmp_path / "f").write_text("two\n")
    assert fingerprint.git_rev(tmp_path) == f"{rev}-dirty"
    (tmp_path / "f").write_text("one\n")
    (tmp_path / "untracked").write_text("not part of the rig\n")
    assert fingerprint.git_rev(tmp_path) == rev
    assert fingerprint.git_rev(tmp_path / "no-such-dir") == "unknown"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the checkout to another user")
def test_git_rev_reads_a_checkout_owned_by_another_user(tmp_path):
    repo = tmp_path / "checkout"
    rev = _commit(repo)
    shutil.chown(repo, user="nobody")
    for path in repo.rglob("*"):
        shutil.chown(path, user="nobody")
    assert fingerprint.git_rev(repo) == rev


def test_redisjson_version_reads_like_a_release(json_redis):
    client = redis.Redis.from_url(json_redis.url)
    raw = next(m[b"ver"] for m in client.module_list() if m[b"name"].lower() == b"rejson")
    client.close()
    found = fingerprint.redis_versions(json_redis.url)["redisjson"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", found), found
    major, minor, patch = (int(part) for part in found.split("."))
    assert major * 10000 + minor * 100 + patch == int(raw)


def test_module_versions_decode_major_minor_patch():
    assert fingerprint.module_version(20803) == "2.8.3"
    assert fingerprint.module_version("20803") == "2.8.3"
    assert fingerprint.module_version(100012) == "10.0.12"
    assert fingerprint.module_version("2.8.3") == "2.8.3"


def test_rundir_imports_neither_flask_nor_locust():
    modules = "('flask', 'locust', 'gevent', 'rig', 'reports')"
    code = "import sys, rundir.load, rundir.runinfo, rundir.fingerprint, rundir.files; " + (
        f"print(sorted(m for m in {modules} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


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
