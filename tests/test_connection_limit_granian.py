"""Granian with too few connection slots (backpressure): cause-named failures and the
connection-limit line, as tests/test_connection_limit.py shows for Gunicorn.

The same crowd that keeps its connections, against one Granian worker with 10 backpressure
permits and a 30 s keep-alive, through `rig local --server granian`.
"""

import os
import subprocess
import sys

import pytest

from reports import run_dir
from rig.paths import REPO_ROOT
from tests.support import require_binary
from tests.test_connection_limit import CONF

pytestmark = pytest.mark.live


def test_too_few_backpressure_permits_show_the_connection_limit(tmp_path):
    require_binary("prometheus", "prometheus")
    conf = tmp_path / "user-scenarios" / "few_permits.conf"
    conf.parent.mkdir()
    conf.write_text(CONF)
    env = {**os.environ, "RIG_BACKPRESSURE": "10", "RIG_KEEPALIVE": "30"}
    argv = [sys.executable, "-m", "rig.cli", "local", "--scenario", str(conf), "--server"]
    argv += ["granian", "--workers", "1", "--app-workers", "1"]
    argv += ["--results-dir", str(tmp_path / "results")]
    done = subprocess.run(argv, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "bottleneck: the API's connection slots: 10 of 10 connections open" in done.stdout
    assert "(raise RIG_BACKPRESSURE," in done.stdout

    (path,) = (tmp_path / "results").glob("*-few_permits")
    run = run_dir.load(path)
    assert run.info["config"]["server"] == "granian"
    assert run.info["config"]["backpressure"] == 10
    errors = {row["Error"] for row in run.failures}
    assert errors and all("read timeout (no HTTP response; expected 201)" in e for e in errors)

    summary = (path / run_dir.SUMMARY_MD).read_text()
    assert "| Bottleneck | the API's connection slots: 10 of 10 connections open" in summary
    assert "| Granian backpressure (connection slots per worker) | 10 |" in summary
    assert "open connections max 10 of 10 slots" in summary
