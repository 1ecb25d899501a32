"""The API under Granian as a user and an operator meet it: settings, errors, stop, dead workers."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from app.granian_conf import ConfigError, GranianSettings
from rig import serve
from rig.ports import free_port, http_ok, wait_until
from tests.support import server_workers

RIG = str(Path(sys.executable).parent / "rig")


def test_settings_follow_the_rig_variables():
    env = {"RIG_BIND": "[::1]:9001", "RIG_WORKERS": "3", "RIG_THREADS": "16",
           "RIG_RUNTIME_THREADS": "2", "RIG_KEEPALIVE": "5",
           "RIG_LOG_LEVEL": "WARNING"}  # fmt: skip
    got = GranianSettings.from_env(env)
    assert (got.address, got.port, got.workers, got.threads) == ("::1", 9001, 3, 16)
    assert (got.runtime_threads, got.keepalive, got.log_level) == (2, 5, "warn")
    assert got.concurrency == 16
    assert GranianSettings.from_env({"RIG_WORKERS": "1"}).threads == 8


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["RIG_BIND", "RIG_WORKERS", "RIG_THREADS", "RIG_RUNTIME_THREADS",
                         "RIG_BACKPRESSURE", "RIG_BACKLOG", "RIG_KEEPALIVE", "RIG_LOG_LEVEL"]),
        st.text(max_size=30),
    )
)  # fmt: skip
def test_any_setting_gives_settings_or_a_config_error(env):
    try:
        got = GranianSettings.from_env(env)
    except ConfigError as exc:
        assert str(exc).startswith("RIG_")
        assert "\n" not in str(exc)
        return
    assert got.workers >= 1 and got.threads >= 1 and 0 < got.port < 65536
    assert got.backlog >= 128 and got.connection_slots >= 1


@pytest.mark.parametrize(
    ("setting", "value", "named"),
    [
        ("RIG_THREADS", "0", "RIG_THREADS"),
        ("RIG_BACKLOG", "64", "RIG_BACKLOG"),
        ("RIG_BIND", "127.0.0.1:1,127.0.0.1:2", "RIG_BIND"),
        ("RIG_KEY_PREFIX", "has space", "RIG_KEY_PREFIX"),
    ],
)
def test_a_bad_setting_is_one_line_without_a_traceback(json_redis, setting, value, named):
    env = serve.server_env(json_redis.url, "127.0.0.1:1", {setting: value}, "granian")
    result = subprocess.run(serve.server_argv("granian"), env=env, capture_output=True,
                            text=True, timeout=60, cwd=serve.REPO_ROOT)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith(f"rig-api: configuration error: {named}")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_rig_serve_refuses_an_unknown_server():
    env = {**os.environ, "RIG_SERVER": "uwsgi"}
    result = subprocess.run([RIG, "serve", "--port", str(free_port())], env=env,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 2
    assert "rig serve: error: the API server must be one of gunicorn, granian" in result.stderr


def test_rig_serve_granian_stops_cleanly_on_sigterm(json_redis):
    port = free_port()
    process = subprocess.Popen(
        [RIG, "serve", "--server", "granian", "--port", str(port), "--redis-url", json_redis.url],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "RIG_WORKERS": "2", "PROMETHEUS_MULTIPROC_DIR": ""},
    )  # fmt: skip
    try:
        wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/readyz"), 60, "rig serve",
                   alive=lambda: process.poll() is None)  # fmt: skip
        workers = server_workers(process.pid)
        assert len(workers) == 2
        metrics_dirs = {Path(p.environ()["PROMETHEUS_MULTIPROC_DIR"]) for p in workers}
        assert requests.post(f"http://127.0.0.1:{port}/api/v1/add_json", json={"a": 1}).ok
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert "Traceback" not in errors
    assert not any(worker.is_running() for worker in workers)
    # The launcher made the metrics directory itself, so it removes it.
    assert len(metrics_dirs) == 1 and not metrics_dirs.pop().exists()


def test_a_dead_worker_is_replaced_and_its_live_files_are_removed(json_redis, tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    extra = {"RIG_WORKERS": "2", "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    api = serve.start(json_redis.url, server="granian", log_path=tmp_path / "granian.log",
                      settings=extra)  # fmt: skip
    try:
        first = server_workers(api.process.pid)
        first_command_lines = [" ".join(p.cmdline()) for p in first]
        victim = first[0]
        # What prometheus-client leaves for a live-gauge of that worker: stale once it died.
        live_file = metrics_dir / f"gauge_livesum_{victim.pid}.db"
        live_file.write_bytes(b"")
        kept_file = metrics_dir / f"counter_{victim.pid}.db"
        kept_file.write_bytes(b"")
        victim.kill()
        wait_until(lambda: not live_file.exists(), 30, "removal of the dead worker's live file")
        wait_until(lambda: len(server_workers(api.process.pid)) == 2, 30,
                   "a replacement worker")  # fmt: skip
        assert kept_file.exists(), "a dead worker's counts still belong to the totals"
        # The first workers were forked before Granian's IPC threads ran; a replacement is
        # spawned: a fork that copied a lock one of those threads held left a worker stuck.
        assert all("app.granian_conf" in line for line in first_command_lines)
        (replacement,) = [p for p in server_workers(api.process.pid) if p not in first]
        assert "multiprocessing.spawn import spawn_main" in " ".join(replacement.cmdline())
        for _ in range(20):  # a new connection each time, so both workers answer
            answer = requests.get(f"{api.url}/readyz", headers={"Connection": "close"})
            assert answer.status_code == 200
    finally:
        api.stop()


@pytest.mark.parametrize("threads", [None, "1", "16"])
def test_the_redis_pool_covers_every_blocking_thread(threads):
    from app.concurrency import requests_per_worker

    env = {"RIG_SERVER": "granian", **({"RIG_THREADS": threads} if threads else {})}
    assert requests_per_worker(env) == GranianSettings.from_env(env).concurrency
