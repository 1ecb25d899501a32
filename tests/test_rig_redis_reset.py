"""`rig redis` on a busy port and under stop signals; `rig reset` and the API's prefix setting."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from rig.ports import free_port, port_is_open

RIG = str(Path(sys.executable).parent / "rig")


def test_rig_redis_refuses_a_port_in_use(json_redis):
    result = subprocess.run([RIG, "redis", "--port", str(json_redis.port)],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 2
    assert f"port {json_redis.port} is in use" in result.stderr
    assert "listening" not in result.stdout
    assert redis.Redis(port=json_redis.port).ping()  # the other server is untouched


def _server_pid(port: int) -> int | None:
    """The process id of the Redis answering on `port`, from the server itself."""
    try:
        return redis.Redis(port=port, socket_timeout=1).info("server")["process_id"]
    except redis.RedisError:
        return None


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as `rig redis &` in a script, or nohup


@pytest.mark.parametrize(
    ("stop_signal", "started_with_sigint_ignored"),
    [(signal.SIGINT, False), (signal.SIGTERM, False), (signal.SIGHUP, False),
     (signal.SIGINT, True)],
    ids=["SIGINT", "SIGTERM", "SIGHUP", "SIGINT-inherited-ignored"],
)  # fmt: skip
def test_rig_redis_stops_its_server_on_every_stop_signal(stop_signal, started_with_sigint_ignored):
    port = free_port()
    ignore = _ignore_sigint if started_with_sigint_ignored else None
    process = subprocess.Popen([RIG, "redis", "--port", str(port)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, preexec_fn=ignore)  # fmt: skip
    try:
        # The signal goes in once the command says it is listening: before that it is still
        # starting, and an interrupt there ends it with 130 ("interrupted"), not a clean stop.
        seen = []
        for line in process.stdout:  # ends at EOF if the command dies first
            seen.append(line)
            if "listening" in line:
                break
        assert any("listening" in line for line in seen), "".join(seen)
        child = _server_pid(port)
        assert child is not None
        process.send_signal(stop_signal)
        rest, _ = process.communicate(timeout=30)
        output = "".join(seen) + rest
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "stopping" in output
    assert "Traceback" not in output
    assert not port_is_open(port)
    assert not Path(f"/proc/{child}").exists()


@pytest.fixture
def keys(redis_client):
    names = [b"rig:json:a", b"iso.json:x", b"iso.string:y", b"rig:other-app:k", b"isox"]
    for name in names:
        redis_client.set(name, b"1")
    yield redis_client
    redis_client.delete(*names)


def _reset(json_redis, *args, env_prefix=None):
    env = {k: v for k, v in os.environ.items() if k != "RIG_KEY_PREFIX"}
    if env_prefix is not None:
        env["RIG_KEY_PREFIX"] = env_prefix
    return subprocess.run([RIG, "reset", "--redis-url", json_redis.url, *args], env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def test_rig_reset_uses_RIG_KEY_PREFIX_like_the_api(json_redis, keys):
    result = _reset(json_redis, env_prefix="iso.")
    assert result.returncode == 0, result.stderr
    assert "deleted 2 keys under the prefix 'iso.'" in result.stdout
    assert keys.exists(b"iso.json:x", b"iso.string:y") == 0
    assert keys.exists(b"rig:json:a", b"rig:other-app:k", b"isox") == 3


def test_rig_reset_flag_wins_over_the_environment(json_redis, keys):
    result = _reset(json_redis, "--prefix", "isox", env_prefix="iso.")
    assert result.returncode == 0, result.stderr
    assert "under the prefix 'isox'" in result.stdout
    assert keys.exists(b"isox") == 0
    assert keys.exists(b"iso.json:x") == 1


@pytest.mark.parametrize(("args", "env_prefix"), [(["--prefix", ""], None), ([], ""),
                                                   (["--prefix", "a b"], None)])  # fmt: skip
def test_rig_reset_refuses_a_prefix_the_api_would_refuse(json_redis, keys, args, env_prefix):
    result = _reset(json_redis, *args, env_prefix=env_prefix)
    assert result.returncode == 2
    assert "must be 1-64 of letters" in result.stderr
    assert keys.exists(b"rig:json:a", b"iso.json:x") == 2


def test_rig_reset_keeps_the_password_out_of_its_errors():
    url = f"redis://:hunter2-secret@127.0.0.1:{free_port()}/0"
    result = subprocess.run([RIG, "reset", "--redis-url", url], capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert result.returncode == 2
    assert "hunter2-secret" not in result.stdout + result.stderr
    assert ":***@" in result.stderr
