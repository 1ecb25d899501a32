"""`--scenario` takes a bundled name or the path of a user's own conf file."""

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadgen import runner
from rig.errors import RigError
from rig.paths import REPO_ROOT


def test_a_users_conf_file_outside_the_repository_is_a_scenario(tmp_path):
    conf = tmp_path / "mine.conf"
    (tmp_path / "my_users.py").write_text("# the user's own locustfile\n")
    conf.write_text("locustfile = loadgen/locustfile.py,my_users.py\nusers = 3\n")
    assert runner.scenario_path(str(conf)) == conf.resolve()
    assert runner.scenario_name(str(conf)) == "mine"
    assert runner.scenario_settings(str(conf))["users"] == "3"
    # A locustfile beside the conf is the user's; others are the checkout's.
    assert runner.scenario_locustfiles(str(conf)).split(",") == [
        str(REPO_ROOT / "loadgen" / "locustfile.py"),
        str(tmp_path / "my_users.py"),
    ]
    argv = runner.master_argv(str(conf), "http://h", tmp_path, 2)
    assert argv[argv.index("--config") + 1] == str(conf.resolve())


def test_a_conf_without_a_locustfile_runs_the_rigs(tmp_path):
    conf = tmp_path / "bare.conf"
    conf.write_text("users = 1\n")
    assert runner.scenario_locustfiles(str(conf)) == str(runner.LOCUSTFILE)


def test_paths_that_are_not_readable_conf_files_are_clear_errors(tmp_path):
    with pytest.raises(RigError, match="does not exist"):
        runner.scenario_path(str(tmp_path / "absent.conf"))
    with pytest.raises(RigError, match="does not exist"):
        runner.scenario_path(str(tmp_path))  # a directory
    binary = tmp_path / "binary.conf"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(RigError, match="cannot be read as text"):
        runner.scenario_path(str(binary))
    if os.geteuid() != 0:  # root reads anything
        secret = tmp_path / "secret.conf"
        secret.write_text("users = 1\n")
        secret.chmod(0)
        with pytest.raises(RigError, match="cannot be read"):
            runner.scenario_path(str(secret))


@given(st.text(min_size=1, max_size=80))
def test_any_scenario_argument_is_a_scenario_or_a_rig_error(text):
    try:
        path = runner.scenario_path(text)
    except RigError:
        return
    except ValueError:  # a NUL byte: Python refuses such paths itself
        assert "\x00" in text
        return
    assert path.is_file()
    name = runner.scenario_name(text)
    assert name and "/" not in name and ".." not in name


def test_run_names_from_odd_file_names_are_safe():
    assert runner.scenario_name("/tmp/my load test!.conf") == "my_load_test"
    assert runner.scenario_name("/tmp/....conf") == "scenario"
    assert runner.scenario_name("seed") == "seed"
