"""`rig local --target` inputs: URLs checked with a clear error, passwords never shown."""

import contextlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rig import cli
from rig.errors import RigError
from rig.local import target as local_target

SECRET = "s3cr3t-pa55"


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000", "https://svc.example:8443/base/", "http://[::1]:80"]
)
def test_http_urls_with_a_host_are_targets(url):
    assert local_target.check_target(url) == url.rstrip("/")


@pytest.mark.parametrize(
    "url",
    ["", "127.0.0.1:8000", "ftp://host/", "http://", "http://host:99999", "http://host:0",
     "http://host:port", "javascript:alert(1)", "http://a b/"],
)  # fmt: skip
def test_anything_else_is_a_clear_error(url):
    with pytest.raises(RigError, match="--target"):
        local_target.check_target(url)


@given(st.text(max_size=60))
def test_any_text_as_target_is_accepted_or_a_rig_error(text):
    with contextlib.suppress(RigError):
        assert local_target.check_target(text).startswith(("http://", "https://"))


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=%", max_size=30))
def test_errors_and_redacted_urls_never_show_the_password(tail):
    password = SECRET + tail
    for url in (f"redis://user:{password}@host:6379/0", f"http://:{password}@host/"):
        assert password not in local_target.redact(url)
    for bad in (f"ftp://u:{password}@host/", f"http://u:{password}@host:0/"):
        with pytest.raises(RigError) as error:
            local_target.check_target(bad)
        assert SECRET not in str(error.value)


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", f"redis://:{SECRET}@10.0.0.5:6380/2",
            "rediss://cache.example:6380", "unix:///run/redis/redis.sock"],
)  # fmt: skip
def test_redis_urls(url):
    assert local_target.check_redis_url(url) == url
    assert SECRET not in local_target.redact(url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:6379", f"mysql://:{SECRET}@host", "redis://", "redis://h:0/0"]
)
def test_other_redis_urls_are_a_clear_error_without_the_password(url):
    with pytest.raises(RigError, match="--redis-url") as error:
        local_target.check_redis_url(url)
    assert SECRET not in str(error.value)


def test_the_locustfile_must_be_an_existing_python_file(tmp_path):
    with pytest.raises(RigError, match="does not exist"):
        local_target.check_locustfile(tmp_path / "missing.py")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(RigError, match="Python file"):
        local_target.check_locustfile(tmp_path / "notes.txt")
    (tmp_path / "mine.py").write_text("")
    assert local_target.check_locustfile(tmp_path / "mine.py") == (tmp_path / "mine.py")


def test_a_users_locustfile_gets_the_plugins_and_the_scenarios_shape(tmp_path):
    mine = tmp_path / "mine.py"
    files = local_target.locustfiles(mine, "capacity").split(",")
    assert files[0] == str(mine)
    assert Path(files[1]).name == "rig_plugins.py" and Path(files[1]).is_file()
    assert [Path(f).name for f in files[2:]] == ["capacity.py"]
    assert local_target.locustfiles(mine, "post_15k").split(",")[2:] == []
    assert local_target.locustfiles(mine, None).count(",") == 1


@pytest.mark.parametrize(
    ("url", "local"),
    [("http://127.0.0.1:8000", True), ("http://localhost:5000", True), ("http://[::1]:1", True),
     ("http://192.0.2.10:8000", False), ("http://no-such-host.invalid:80", False)],
)  # fmt: skip
def test_local_targets_are_told_apart(url, local):
    assert local_target.is_local(url) is local


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", f"ftp://u:{SECRET}@host/"], "--target must be an http:// or https:// URL"),
        (["--redis-url", "redis://127.0.0.1:6379/0"], "add --target"),
        (["--target", "http://127.0.0.1:9", "--redis-url", f"mysql://:{SECRET}@h"],
         "--redis-url must start with"),
        (["--target", "http://127.0.0.1:9", "--locustfile", "no/such/file.py"], "does not exist"),
    ],
)  # fmt: skip
def test_rig_local_refuses_bad_own_service_options_before_starting_anything(
    tmp_path, capsys, args, message
):
    code = cli.main(["local", *args, "--results-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and message in err, err
    assert SECRET not in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # no run directory, nothing started
