"""The psutil sampler against real processes and a real Redis: one row a second, sane figures."""

import csv
import subprocess
import sys
import time

import redis as redis_py

from rig.local import sampler as local_sampler

BUSY = "import time\nend = time.time() + 30\nwhile time.time() < end: pass"


def test_sampler_writes_host_process_and_redis_figures(tmp_path, json_redis):
    busy = subprocess.Popen([sys.executable, "-c", BUSY])
    client = redis_py.Redis.from_url(json_redis.url)
    try:
        sampler = local_sampler.Sampler(
            tmp_path,
            groups={"api": lambda: [busy.pid], "redis": lambda: [json_redis.process.pid]},
            workers=lambda: [busy.pid],
            redis_url=json_redis.url,
            interval=0.5,
        )
        sampler.start()
        for index in range(200):  # commands for ops/s, keys for the key count
            client.set(f"rig:sampler-test:{index % 5}", "x")
            time.sleep(0.01)
        time.sleep(1)
        sampler.stop()
    finally:
        busy.kill()
        busy.wait()
        client.delete(*[f"rig:sampler-test:{i}" for i in range(5)])
        client.close()
    assert not sampler.is_alive()
    rows = list(csv.DictReader((tmp_path / "samples.csv").open()))
    assert len(rows) >= 4
    assert set(rows[0]) == set(local_sampler.COLUMNS)
    last = rows[-1]
    assert 0 < float(last["cpu_percent"]) <= 100
    assert float(last["mem_used_bytes"]) < float(last["mem_total_bytes"])
    # A busy loop uses most of a core; the box is shared, so ask only for a clear share of one.
    assert max(float(r["api_cpu_percent"]) for r in rows[1:]) > 5
    assert float(last["api_rss_bytes"]) > 1 << 20
    assert max(float(r["locust_worker_max_cpu_percent"]) for r in rows[1:]) > 5
    assert max(float(r["redis_ops_per_s"] or 0) for r in rows) > 10
    assert int(last["redis_keys"]) >= 5
    assert float(last["redis_used_memory_bytes"]) > 0
