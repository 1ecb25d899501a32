"""`rig local --web` driven over the web UI's own HTTP endpoints: stats, swarm, stop; the report
covers the seconds in which users ran, and nothing the rig started is left behind."""

import json
import re
import signal
import time

import pytest
import requests

from reports import run_dir
from tests.test_local_live import Watched

pytestmark = pytest.mark.live


def wait_for(probe, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = probe()
        except requests.RequestException:  # a busy machine: the UI answers a little later
            value = None
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def ui_line(watched: Watched) -> str:
    """Read the rig's output up to the `Locust web UI: URL` line; return the URL."""
    seen = []
    for line in watched.proc.stdout:
        seen.append(line)
        if match := re.match(r"Locust web UI: (http://127\.0\.0\.1:\d+)$", line.strip()):
            return match.group(1)
    raise AssertionError("no web UI line:\n" + "".join(seen))


def stats(url: str) -> dict:
    return requests.get(f"{url}/stats/requests", timeout=30).json()


def test_a_run_started_and_stopped_in_the_web_ui_gets_a_report_of_its_window(tmp_path):
    watched = Watched("--web", "--scenario", "post_15k", "--workers", "1", "--no-prometheus",
                      "--results-dir", str(tmp_path))  # fmt: skip
    try:
        url = ui_line(watched)
        wait_for(lambda: stats(url)["state"] == "ready", 60, "the UI to be ready")
        time.sleep(3)  # idle seconds before the run: not part of the report's window
        started = time.time()
        answer = requests.post(f"{url}/swarm", data={"user_count": 4, "spawn_rate": 4}, timeout=30)
        assert answer.json()["success"], answer.text
        wait_for(lambda: stats(url)["user_count"] == 4, 60, "4 users")
        wait_for(lambda: stats(url)["stats"][-1]["num_requests"] > 200, 60, "requests")
        assert stats(url)["state"] == "running"
        stopped = time.time()
        assert requests.post(f"{url}/stop", timeout=30).json()["success"]
        code, out = watched.wait(timeout=180)
    finally:
        if watched.proc.poll() is None:
            watched.proc.kill()
    assert code == 0, out
    summary = tmp_path.joinpath(out.strip().splitlines()[-1].split("/")[-2], "summary.md")
    assert summary.is_file(), out
    info = json.loads((summary.parent / run_dir.RUN_JSON).read_text())
    # The window is the users' seconds (whole seconds of Locust's history, one either side),
    # not the idle UI before the swarm nor the wait after the stop.
    assert started - 2 <= info["start"] <= started + 3, (started, info)
    assert stopped - 3 <= info["end"] <= stopped + 3, (stopped, info)
    text = summary.read_text()
    assert "| Aggregated |" in text and "](charts/throughput.png)" in text
    rows = run_dir.read_csv(summary.parent / run_dir.STATS_CSV)
    assert int(rows[-1]["Request Count"]) > 200
    assert watched.leftovers() == []


def test_a_closed_terminal_before_any_user_ran_stops_everything(tmp_path):
    """SIGHUP (the terminal went away) while the UI waits: no report, nothing left running."""
    watched = Watched("--web", "--workers", "1", "--no-prometheus", "--results-dir", str(tmp_path))
    try:
        url = ui_line(watched)
        assert stats(url)["state"] == "ready"
        watched.proc.send_signal(signal.SIGHUP)
        code, out = watched.wait(timeout=120)
    finally:
        if watched.proc.poll() is None:
            watched.proc.kill()
    assert code == 130, out
    assert "interrupted" in out and "Traceback" not in out
    assert not list(tmp_path.glob("*/summary.md"))
    assert len(watched.seen) >= 3, watched.seen  # Redis, the API, the Locust master and worker
    assert watched.leftovers() == []
