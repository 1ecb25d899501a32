"""`rig redis` and `rig serve` as a user runs them: real servers in the foreground, clear errors."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import redis
import requests

from rig.ports import free_port, http_ok, wait_until

RIG = str(Path(sys.executable).parent / "rig")


def _json_set_works(port: int) -> bool:
    try:
        client = redis.Redis(port=port, socket_timeout=1)
        return client.execute_command("JSON.SET", "rig:cli-test", "$", '{"ok": true}') == b"OK"
    except redis.RedisError:
        return False


def test_rig_redis_serves_json_until_interrupted():
    port = free_port()
    process = subprocess.Popen([RIG, "redis", "--port", str(port)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        wait_until(lambda: _json_set_works(port), 30, "rig redis",
                   alive=lambda: process.poll() is None)  # fmt: skip
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert "with RedisJSON listening on" in output
    assert "Traceback" not in output


def test_rig_redis_says_what_to_install_when_the_module_is_missing(tmp_path):
    env = {**os.environ, "RIG_REJSON_PATH": str(tmp_path / "missing" / "rejson.so")}
    result = subprocess.run([RIG, "redis", "--port", str(free_port())], env=env,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 2
    assert "rig redis: error: RIG_REJSON_PATH points at" in result.stderr
    assert "Traceback" not in result.stderr


def test_rig_serve_runs_the_api_in_the_foreground(json_redis):
    port = free_port()
    process = subprocess.Popen(
        [RIG, "serve", "--port", str(port), "--redis-url", json_redis.url],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "RIG_WORKERS": "1"},
    )  # fmt: skip
    try:
        wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/readyz"), 60, "rig serve",
                   alive=lambda: process.poll() is None)  # fmt: skip
        created = requests.post(f"http://127.0.0.1:{port}/api/v1/add_json", json={"a": 1})
        assert created.status_code == 201
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert process.returncode == 0
