"""`rig local` end to end (about 20 s of load each): report, comparison, psutil path, Ctrl-C.

Each test runs the real command in a child process and watches every process it starts, so
it can check afterwards that none of them, and none of their ports, is left behind.
"""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from reports import run_dir
from rig.paths import REPO_ROOT
from rig.ports import port_is_open
from tests.support import require_binary
from tests.test_report import assert_png, assert_table_is_the_csv, summary_table

pytestmark = pytest.mark.live
RUN_TIME = "20s"


class Watched:
    """`rig local` in a child process; records its descendants and their listening ports."""

    def __init__(self, *args: str, env: dict[str, str] | None = None):
        argv = [sys.executable, "-m", "rig.cli", "local", "--run-time", RUN_TIME, *args]
        self.proc = subprocess.Popen(
            argv,
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.seen: dict[tuple[int, float], str] = {}
        self.ports: set[int] = set()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        root = psutil.Process(self.proc.pid)
        while not self._done.is_set():
            try:
                children = root.children(recursive=True)
            except psutil.Error:
                return
            for child in children:
                try:
                    self.seen[(child.pid, child.create_time())] = " ".join(child.cmdline())[:120]
                    for conn in child.net_connections(kind="tcp"):
                        if conn.status == psutil.CONN_LISTEN:
                            self.ports.add(conn.laddr.port)
                except psutil.Error:
                    continue
            time.sleep(0.2)

    def wait(self, timeout: float = 300) -> tuple[int, str]:
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        finally:
            self._done.set()
            self._thread.join(5)
        return self.proc.returncode, out

    def leftovers(self) -> list[str]:
        """Started processes still alive (same pid and start time) and ports still open."""
        alive = []
        for (pid, created), cmd in self.seen.items():
            try:
                if psutil.Process(pid).create_time() == created:
                    alive.append(f"process {pid}: {cmd}")
            except psutil.NoSuchProcess:
                continue
        return alive + [f"port {port}" for port in sorted(self.ports) if port_is_open(port)]


def run_local(*args: str) -> tuple[Path, str, Watched]:
    watched = Watched(*args)
    code, out = watched.wait()
    assert code in (0, 3), out  # 3: an SLO gate was missed, the run itself worked
    summary = Path(out.strip().splitlines()[-1])
    assert summary.name == "summary.md" and summary.is_file(), out
    return summary.parent, out, watched


def figure(path: Path, key: str) -> float:
    """Average of a resource series in the run's metrics.json (0 when absent)."""
    metrics = json.loads((path / run_dir.METRICS_JSON).read_text())
    for series in metrics["series"]:
        if series["key"] == key and series["points"]:
            return sum(v for _t, v in series["points"]) / len(series["points"])
    return 0.0


def check_report(path: Path) -> str:
    text = (path / run_dir.SUMMARY_MD).read_text()
    assert_table_is_the_csv(summary_table(text), path / run_dir.STATS_CSV)
    for name in ("throughput.png", "latency.png", "cpu.png"):
        assert_png(path / "charts" / name)
    for key in ("cpu_percent", "mem_used_bytes", "redis_ops_per_s", "redis_used_memory_bytes",
                "redis_keys", "api_cpu_percent", "api_rss_bytes"):  # fmt: skip
        assert figure(path, key) > 0, f"{key} is missing or zero in {path}"
    assert "| local |" in text and "| Redis | local |" in text
    return text


def progress_rps(out: str) -> list[float]:
    """The RPS of every progress line printed while users were running."""
    return [float(m) for m in re.findall(r"^\[ *\d+/\d+ s\] .* RPS ([0-9.]+) ", out, re.M)]


def test_rig_local_with_prometheus_writes_a_report_and_compares_a_second_run(tmp_path):
    for name, package in [
        ("prometheus", "prometheus"),
        ("prometheus-node-exporter", "prometheus-node-exporter"),
        ("prometheus-redis-exporter", "prometheus-redis-exporter"),
        ("prometheus-process-exporter", "prometheus-process-exporter"),
    ]:
        require_binary(name, package)
    first, out, watched = run_local("--results-dir", str(tmp_path))
    assert "Prometheus http://127.0.0.1:" in out
    text = check_report(first)
    assert "Source: prometheus" in text
    assert "No earlier run of this scenario" in text
    assert progress_rps(out) and max(progress_rps(out)) > 0, out  # the current rate, not 0
    busiest = re.search(r"busiest worker CPU max ([0-9.]+) %", text)
    assert busiest and float(busiest.group(1)) > 0, text  # the workers' own CPU, exported
    assert not (first / "prometheus" / "tsdb").exists()  # no Prometheus data is left behind
    assert watched.leftovers() == []

    second, _out, watched = run_local("--results-dir", str(tmp_path))
    text = check_report(second)
    assert f"Baseline: median of 1 earlier run(s) of this scenario ({first.name})" in text
    assert "| RPS |" in text and "| Fail ratio |" in text
    assert watched.leftovers() == []
    index = (tmp_path / "index.md").read_text()
    assert index.index(second.name) < index.index(first.name)  # newest first


def test_rig_local_without_prometheus_samples_with_psutil(tmp_path):
    path, out, watched = run_local("--results-dir", str(tmp_path), "--no-prometheus")
    assert "sampling host and processes with psutil" in out
    text = check_report(path)
    assert "Source: psutil" in text
    assert figure(path, "locust_cpu_percent") > 0
    assert (path / run_dir.SAMPLES_CSV).is_file()
    assert watched.leftovers() == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_ctrl_c_or_a_stop_signal_stops_everything_rig_local_started(tmp_path, signum):
    watched = Watched("--results-dir", str(tmp_path))
    deadline = time.monotonic() + 120
    # Interrupt once the load is running: the master's log exists and workers were spawned.
    while time.monotonic() < deadline and watched.proc.poll() is None:
        logs = list(tmp_path.glob("*/logs/locust_worker_4.log"))
        if logs and len(watched.seen) >= 8:
            break
        time.sleep(0.2)
    time.sleep(2)
    watched.proc.send_signal(signum)
    code, out = watched.wait(timeout=120)
    assert code == 130, out
    assert "interrupted" in out
    assert len(watched.seen) >= 8, watched.seen  # redis, API, exporters, Prometheus, Locust
    assert watched.leftovers() == []
    assert not list(tmp_path.glob("*/prometheus/tsdb"))


def test_a_server_that_fails_to_start_is_a_clear_error_and_leaves_nothing(tmp_path):
    # An invalid key prefix makes the API refuse to boot, after Redis has started.
    env = dict(os.environ, RIG_KEY_PREFIX="not a valid prefix!")
    watched = Watched("--results-dir", str(tmp_path), "--no-prometheus", env=env)
    code, out = watched.wait(timeout=120)
    assert code == 2, out
    assert "rig local: error: the API" in out and "api.log" in out
    assert "Traceback" not in out
    assert any("redis" in cmd for cmd in watched.seen.values()), watched.seen
    assert watched.leftovers() == []
