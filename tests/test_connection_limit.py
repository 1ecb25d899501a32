"""An API with too few connection slots: cause-named failures and the connection-limit line.

The scenario is a conf file of the user's own, outside the repository, run through `rig
local --scenario PATH`: 200 users who keep their connections (server-keepalive 0) against
one Gunicorn worker with 10 connection slots and a 30 s keep-alive. Requests wait in the
listen queue until their 4 s timeout.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reports import run_dir
from rig.paths import REPO_ROOT
from tests.support import require_binary

pytestmark = pytest.mark.live

CONF = """\
# Written by tests/test_connection_limit.py: a crowd that keeps its connections.
locustfile = loadgen/locustfile.py
tags = [add_json, add_string]
users = 200
spawn-rate = 100
run-time = 20s
doc-size = small
seed-count = 0
wait-min = 3
wait-max = 5
wait-first = true
server-keepalive = 0
request-timeout = 4
"""


def test_too_few_slots_show_read_timeouts_and_the_connection_limit(tmp_path):
    require_binary("prometheus", "prometheus")
    conf = tmp_path / "user-scenarios" / "few_slots.conf"
    conf.parent.mkdir()
    conf.write_text(CONF)
    assert not conf.resolve().is_relative_to(REPO_ROOT)
    env = {**os.environ, "RIG_WORKER_CONNECTIONS": "10", "RIG_KEEPALIVE": "30"}
    argv = [sys.executable, "-m", "rig.cli", "local", "--scenario", str(conf)]
    argv += ["--workers", "1", "--app-workers", "1", "--results-dir", str(tmp_path / "results")]
    done = subprocess.run(argv, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "bottleneck: the API's connection slots: 10 of 10 connections open" in done.stdout

    (path,) = (tmp_path / "results").glob("*-few_slots")
    run = run_dir.load(path)
    assert run.info["scenario"] == "few_slots"
    assert run.info["config"]["worker_connections"] == 10
    errors = {row["Error"] for row in run.failures}
    assert errors and all("read timeout (no HTTP response; expected 201)" in e for e in errors)

    summary = (path / run_dir.SUMMARY_MD).read_text()
    assert "| Bottleneck | the API's connection slots: 10 of 10 connections open" in summary
    assert "| read timeout |" in summary.split("### Failures by cause")[1]
    assert "open connections max 10 of 10 slots" in summary


def test_a_missing_scenario_file_is_a_clear_error(tmp_path):
    missing = Path(tmp_path) / "nope.conf"
    done = subprocess.run(
        [sys.executable, "-m", "rig.cli", "local", "--scenario", str(missing)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"scenario file '{missing}' does not exist" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
