"""`rig sweep` end to end on this box: four short points, each a real `rig local` run."""

import contextlib
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from rig.ports import wait_until

RIG = str(Path(sys.executable).parent / "rig")
GRID = """
grid:
  server: [gunicorn, granian]
  worker_class: [gevent, sync]
  workers: [1]
  threads: [4]
points:
  # Bodies over 100 bytes are refused (413): every request fails, so the run is SUSPECT,
  # though its refusals are cheap and fast.
  - {server: granian, workers: 1, threads: 4, env: {RIG_MAX_BODY_BYTES: "100"}}
"""


def _summary_cells(summary: str) -> dict:
    """The figures a point's own summary.md shows, as the text of their cells."""
    key = re.search(r"\| Key figures \| ([\d,.]+) req/s, p50 (\S+) ms, p95 (\S+) ms, "
                    r"p99 (\S+) ms", summary)  # fmt: skip
    api = re.search(r"^\| API workers \| \S+ \| [^|]+ \| [^|]+ \| ([^|]+) \|", summary, re.M)
    redis = re.search(r"^\| Redis \| \S+ \| ([^|]+) \|", summary, re.M)
    return {"rps": key[1], "p50": key[2], "p95": key[3], "p99": key[4],
            "rss": api[1].strip(), "redis_cpu": redis[1].strip()}  # fmt: skip


CLOSED_HEAD = "| # | server | worker class | workers | threads | RPS | p50 ms | p95 ms | p99 ms |"


def _sweep_rows(sweep_md: str, head: str = CLOSED_HEAD) -> dict[str, dict]:
    lines = sweep_md[sweep_md.index(head) :].splitlines()
    names = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = {}
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        cells = dict(zip(names, (c.strip() for c in line.strip("|").split("|")), strict=True))
        rows[re.search(r"\[(.+?)\]", cells["run directory"])[1]] = cells
    return rows


def test_a_sweep_of_four_points_compares_recommends_and_never_picks_a_suspect(tmp_path):
    grid = tmp_path / "grid.yml"
    grid.write_text(GRID)
    argv = [RIG, "sweep", "--grid-file", str(grid), "--scenario", "small_json", "--users", "10",
            "--run-time", "6s", "--workers", "1", "--no-prometheus",
            "--cpus-loadgen", "1", "--cpus-service", "0",  # shared CPUs would make all SUSPECT
            "--results-dir", str(tmp_path / "results")]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "skipped server=granian worker_class=sync workers=1 threads=4: worker_class with " \
        "granian" in done.stdout  # fmt: skip
    assert re.search(r"point 3 of 4: .*, about .* left", done.stdout)
    parent = next((tmp_path / "results").iterdir())
    sweep_md = (parent / "sweep.md").read_text()
    data = json.loads((parent / "sweep.json").read_text())
    rows = _sweep_rows(sweep_md)
    assert len(rows) == 4 and len(data["rows"]) == 4

    # Every row is the point's own figures, as its own summary.md shows them.
    for run_id, row in rows.items():
        own = _summary_cells((parent / run_id / "summary.md").read_text())
        assert (row["RPS"], row["p50 ms"], row["p95 ms"], row["p99 ms"]) == (
            own["rps"], own["p50"], own["p95"], own["p99"])  # fmt: skip
        assert (row["API RSS"], row["Redis CPU"]) == (own["rss"], own["redis_cpu"])
        metrics = json.loads((parent / run_id / "metrics.json").read_text())
        cpu = next(s for s in metrics["series"] if s["key"] == "api_cpu_percent")["points"]
        report = json.loads((parent / run_id / "report.json").read_text())
        cores = sum(v for _, v in cpu) / len(cpu) / 100
        expected = report["figures"]["rps"] / cores
        assert row["req per API CPU-s"] == f"{expected:,.0f}"
        assert row["run"] == report["validity"]

    # Sorted by throughput, best first.
    rps = [float(r["RPS"].replace(",", "")) for r in rows.values()]
    assert rps == sorted(rps, reverse=True)

    # The point made SUSPECT on purpose is marked and listed, and never recommended.
    suspect = next(r for r in data["rows"] if r["env"])
    assert suspect["validity"] == "SUSPECT"
    assert any("failed" in reason for reason in suspect["reasons"])
    assert rows[suspect["run_id"]]["server"] == "granian RIG_MAX_BODY_BYTES=100"
    assert f"- {suspect['label']}: " in sweep_md
    recommended = next(r for r in data["rows"] if r["label"] == data["recommended"])
    assert recommended["validity"] == "VALID" and recommended["slo"] != "FAIL"
    assert f"**Recommended: {recommended['label']}**" in sweep_md
    assert "recommended: " + recommended["label"] in done.stdout
    for chart in ("throughput_p95.png", "cpu_per_request.png"):
        assert (parent / "charts" / chart).read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM])
def test_a_signal_stops_the_sweep_and_every_process_of_its_point(tmp_path, sig):
    argv = [RIG, "sweep", "--grid", "server=granian,gunicorn", "--scenario", "small_json",
            "--users", "5", "--run-time", "60s", "--workers", "1", "--no-prometheus",
            "--results-dir", str(tmp_path)]  # fmt: skip
    sweep = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Under load: the API, Redis, the Locust master and its worker are all running.
        def loaded() -> bool:
            names = " ".join(" ".join(p.cmdline()) for p in _descendants(sweep.pid))
            return "granian_conf" in names and "locust" in names and "--worker" in names

        wait_until(loaded, 120, "the first point under load", alive=lambda: sweep.poll() is None)
        started = _descendants(sweep.pid)
        names = _command_lines(started)
        sweep.send_signal(sig)
        _, errors = sweep.communicate(timeout=120)
    finally:
        if sweep.poll() is None:
            sweep.kill()
    assert sweep.returncode == 130
    assert "rig sweep: interrupted" in errors and "Traceback" not in errors
    psutil.wait_procs(started, timeout=30)
    left = [p for p in started if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert [names.get(p.pid, p.pid) for p in left] == []  # a failure names who outlived it


def _command_lines(procs: list[psutil.Process]) -> dict[int, str]:
    names = {}
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            names[proc.pid] = " ".join(proc.cmdline())
    return names


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _arrival_rows(sweep_md: str) -> dict[str, dict]:
    head = "| # | server | worker class | workers | threads | target req/s | achieved req/s |"
    return _sweep_rows(sweep_md, head)


def test_an_open_model_sweep_shows_target_and_achieved_and_marks_a_shortfall(tmp_path):
    """The same arrival rate for both points; the Granian point's server is paused (SIGSTOP)
    for 8 s of its 25, so it sends far fewer requests than asked: marked CO, never chosen."""
    argv = [RIG, "sweep", "--grid", "server=gunicorn,granian", "worker_class=gthread",
            "threads=4", "--scenario", "small_json", "--users", "5", "--spawn-rate", "5",
            "--arrival-rate", "60", "--run-time", "25s", "--workers", "1", "--no-prometheus",
            "--cpus-loadgen", "1", "--cpus-service", "0",
            "--results-dir", str(tmp_path)]  # fmt: skip
    sweep = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:

        def granian_under_load() -> list[psutil.Process]:
            try:
                procs = _descendants(sweep.pid)
                names = [" ".join(p.cmdline()) for p in procs]
            except psutil.Error:  # a process ended meanwhile: look again
                return []
            if not any("--worker" in n and "locust" in n for n in names):
                return []
            return [p for p, n in zip(procs, names, strict=True) if "granian_conf" in n]

        wait_until(lambda: bool(granian_under_load()), 300, "the Granian point under load",
                   alive=lambda: sweep.poll() is None, interval=0.5)  # fmt: skip
        time.sleep(5)
        servers = granian_under_load()  # the server and its workers, all up by now
        for process in servers:
            process.suspend()
        time.sleep(8)
        for process in servers:
            process.resume()
        out, errors = sweep.communicate(timeout=300)
    finally:
        if sweep.poll() is None:
            sweep.kill()
    assert sweep.returncode == 0, errors + out
    parent = next(tmp_path.iterdir())
    sweep_md = (parent / "sweep.md").read_text()
    data = json.loads((parent / "sweep.json").read_text())
    rows = _arrival_rows(sweep_md)
    assert len(rows) == 2 and "an arrival rate of 60 req/s from 5 users" in sweep_md

    # Target and achieved are the points' own summaries' figures.
    for run_id, row in rows.items():
        summary = (parent / run_id / "summary.md").read_text()
        line = re.search(r"\| Arrival rate \| target ([\d,.]+) req/s, achieved ([\d,.]+) req/s "
                         r"\(([\d.]+%)\) \|", summary)  # fmt: skip
        assert row["target req/s"] == line[1] == "60.0"
        assert row["achieved req/s"].startswith(f"{line[2]} ({line[3]}")

    short = next(r for r in data["rows"] if r["server"] == "granian")
    steady = next(r for r in data["rows"] if r["server"] == "gunicorn")
    assert short["arrival_short"] and short["achieved_rate"] < 0.9 * 60
    assert rows[short["run_id"]]["achieved req/s"].endswith(", CO)")
    assert short["validity"] == "SUSPECT"
    assert re.search(rf"^- {short['label']}: .*coordinated omission", sweep_md, re.M)
    assert not steady["arrival_short"] and steady["achieved_rate"] >= 0.97 * 60
    assert not rows[steady["run_id"]]["achieved req/s"].endswith("CO)")
    assert data["recommended"] != short["label"]
    if steady["validity"] == "VALID" and steady["slo"] != "FAIL":
        assert data["recommended"] == steady["label"]
