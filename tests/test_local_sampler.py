"""The psutil sampler against real processes and a real Redis: each figure is what happened.

A child burns a known amount of CPU while the sampler runs; the CPU seconds the sampler
attributes to its group add up to that, another (idle) group gets none, and the Redis
commands issued meanwhile are all counted.
"""

import csv
import itertools
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis as redis_py

from rig.local import sampler as local_sampler
from rundir.files import SAMPLES_CSV

BURN_SECONDS = 0.6
# Waits for a line on stdin, burns BURN_SECONDS of its own CPU time, says so, then idles.
BURNER = (
    "import sys, time\nsys.stdin.readline()\nend = time.process_time() + float(sys.argv[1])\n"
    "while time.process_time() < end: pass\nprint('burnt', flush=True)\nsys.stdin.readline()\n"
)
IDLER = "import sys\nsys.stdin.readline()\n"
COMMANDS = 200


def _rows(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _wait_for_rows(path: Path, count: int, timeout: float = 90) -> list[dict]:
    deadline = time.monotonic() + timeout
    while len(rows := _rows(path)) < count:
        assert time.monotonic() < deadline, f"the sampler wrote {len(rows)} of {count} rows"
        time.sleep(0.05)
    return rows


def _seconds(rows: list[dict], column: str) -> float:
    """CPU seconds (or a count) from per-second rates: each rate times its row's interval."""
    total = 0.0
    for previous, row in itertools.pairwise(rows):
        if row[column]:
            total += float(row[column]) * (float(row["time"]) - float(previous["time"]))
    return total


def test_sampler_attributes_cpu_and_redis_work_to_what_did_it(tmp_path, json_redis):
    spawn = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "text": True}
    burner = subprocess.Popen([sys.executable, "-c", BURNER, str(BURN_SECONDS)], **spawn)
    idler = subprocess.Popen([sys.executable, "-c", IDLER], **spawn)
    client = redis_py.Redis.from_url(json_redis.url)
    path = tmp_path / SAMPLES_CSV
    sampler = local_sampler.Sampler(
        tmp_path,
        groups={"api": lambda: [burner.pid], "redis": lambda: [idler.pid]},
        workers=lambda: [burner.pid],
        redis_url=json_redis.url,
        interval=0.5,
    )
    try:
        sampler.start()
        before = _wait_for_rows(path, 1)
        burner.stdin.write("go\n")
        burner.stdin.flush()
        for index in range(COMMANDS):
            client.set(f"rig:sampler-test:{index % 5}", "x")
        assert burner.stdout.readline().strip() == "burnt"
        rows = _wait_for_rows(path, len(before) + 2)
        sampler.stop()
        keys = client.dbsize()
    finally:
        for child in (burner, idler):
            child.kill()
            child.wait()
        client.delete(*[f"rig:sampler-test:{i}" for i in range(5)])
        client.close()
    assert not sampler.is_alive()
    rows = _rows(path)
    assert set(rows[0]) == set(local_sampler.COLUMNS)
    assert _seconds(rows, "api_cpu_percent") / 100 == pytest.approx(BURN_SECONDS, rel=0.3)
    assert _seconds(rows, "locust_worker_max_cpu_percent") / 100 == pytest.approx(
        BURN_SECONDS, rel=0.3
    )
    assert _seconds(rows, "redis_cpu_percent") / 100 < 0.05  # the idle group did nothing
    # Every SET is counted; beyond them only the sampler's own INFO, once a row.
    ops = _seconds(rows, "redis_ops_per_s")
    assert COMMANDS <= round(ops) <= COMMANDS + len(rows) + 2
    last = rows[-1]
    assert int(last["redis_keys"]) == keys
    assert float(last["api_rss_bytes"]) > 1 << 20
    assert float(last["mem_used_bytes"]) < float(last["mem_total_bytes"])
