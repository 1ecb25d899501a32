"""The talk's run, shortened in time: the full 100,000 users spawned at 10,000 per second by
one master and four workers, 0 failures (`rig local --scenario seed --run-time 40s`).

The crowd reaches 100,000 users in about 10 s. Every user closes its connection after each
request, so the API never holds more connections than there are requests in flight and no
user waits for a slot, and 100,000 users fit in the load generators' open-file limits. The
think time is five times the scenario's (400-600 s, about 200 requests/s instead of 1,000):
what is tested is the crowd, and a 2-core machine shared with other work cannot promise the
API the CPU for 1,000 requests/s (docs/seed-run.md has the full run's figures).
"""

import json
import os
import subprocess
import sys

import pytest

from loadgen import runner
from reports import run_dir
from rig.paths import REPO_ROOT

pytestmark = pytest.mark.live


def test_the_seed_scenario_matches_the_talks_configuration():
    settings = runner.scenario_settings("seed")
    assert settings["users"] == "100000" and settings["spawn-rate"] == "10000"
    assert settings["tags"] == "[add_json, add_string]" and settings["doc-size"] == "15k"
    mean_think = (float(settings["wait-min"]) + float(settings["wait-max"])) / 2
    # The talk's 975 requests/s, within 10 %.
    assert 0.9 * 975 <= int(settings["users"]) / mean_think <= 1.1 * 975
    # Users close idle connections: they think longer than the API keeps one open.
    assert float(settings["wait-min"]) > float(settings["server-keepalive"])


def test_100k_users_at_10k_per_second_without_a_failure(tmp_path):
    argv = [sys.executable, "-m", "rig.cli", "local", "--scenario", "seed", "--run-time", "40s"]
    argv += ["--results-dir", str(tmp_path)]
    # Locust reads LOCUST_* variables over the scenario's conf file.
    env = {**os.environ, "LOCUST_WAIT_MIN": "400", "LOCUST_WAIT_MAX": "600"}
    done = subprocess.run(argv, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (path,) = tmp_path.glob("*-seed")
    run = run_dir.load(path)
    total = run.aggregated
    history = [r for r in run.history if r.get("Name") == "Aggregated"]
    assert max(int(r["User Count"]) for r in history) == 100_000
    # Users start within 10 s and first wait a random share of 600 s: about 5,000 requests
    # offered; how many are answered within the 40 s depends on the machine's spare CPU.
    assert int(total["Request Count"]) > 500, total
    assert int(total["Failure Count"]) == 0, (path / run_dir.FAILURES_CSV).read_text()
    stats = json.loads((path / run_dir.RUN_JSON).read_text())
    assert stats["config"]["users"] == 100_000 and stats["config"]["locust_workers"] == 4
