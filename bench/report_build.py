"""Times the report builder on a synthetic one-hour run with every chart: a stats history of one
row a second for four endpoints and the total (18,000 rows) with the users in six steps,
Locust's JSON with each endpoint's response times, fifteen resource series at 15 s
resolution, and five earlier runs to compare against.

    .venv/bin/python bench/report_build.py [--repeat 3]

Prints the charts drawn, the time of each build and the median (aim: 3 s or less).
"""

import argparse
import csv
import json
import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from reports import build, chart_set

HOUR = 3600
STEP = 15
START = 1_764_000_000
PERCENTILES = ["50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%"]
STATS_HEADER = [
    "Type", "Name", "Request Count", "Failure Count", "Median Response Time",
    "Average Response Time", "Min Response Time", "Max Response Time", "Average Content Size",
    "Requests/s", "Failures/s", *PERCENTILES,
]  # fmt: skip
HISTORY_HEADER = [
    "Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s", *PERCENTILES,
    "Total Request Count", "Total Failure Count", "Total Median Response Time",
    "Total Average Response Time", "Total Min Response Time", "Total Max Response Time",
    "Total Average Content Size",
]  # fmt: skip
SERIES = [
    ("cpu_percent", "host", "%", 70), ("mem_used_bytes", "host", "bytes", 3e9),
    ("mem_total_bytes", "host", "bytes", 8e9), ("load1", "host", "", 2),
    ("net_in_bytes_per_s", "host", "bytes/s", 2e7), ("net_out_bytes_per_s", "host", "bytes/s", 2e7),
    ("api_cpu_percent", "api", "%", 180), ("api_rss_bytes", "api", "bytes", 1.5e8),
    ("redis_cpu_percent", "redis", "%", 60), ("redis_ops_per_s", "redis", "ops/s", 2e3),
    ("redis_used_memory_bytes", "redis", "bytes", 1e9), ("redis_keys", "redis", "", 1e5),
    ("locust_cpu_percent", "locust", "%", 150), ("locust_rss_bytes", "locust", "bytes", 3e8),
    ("locust_worker_max_cpu_percent", "locust", "%", 45),
]  # fmt: skip
ENDPOINTS = [
    ("POST", "/api/v1/add_json", 0.4),
    ("GET", "/api/v1/json/[id]", 0.3),
    ("GET", "/api/v1/json/[id]?path", 0.2),
    ("PATCH", "/api/v1/json/[id]?path", 0.1),
]
STEP_SECONDS = 600  # users: 50, 100, ... 300, one step every 10 min


def locust_bucket(ms: float) -> int:
    """Locust's rounding of a response time: whole ms below 100, two significant digits above."""
    if ms < 100:
        return round(ms)
    digits = len(str(int(ms))) - 2
    return int(round(ms, -digits))


def stats_json(rng: random.Random, requests: int) -> list[dict]:
    entries = []
    for method, name, share in ENDPOINTS:
        times: dict[int, int] = {}
        for _ in range(20_000):  # a lognormal sample, scaled to the endpoint's requests
            bucket = locust_bucket(rng.lognormvariate(math.log(25), 0.6))
            times[bucket] = times.get(bucket, 0) + 1
        scale = requests * share / 20_000
        counts = {str(k): max(1, int(v * scale)) for k, v in times.items()}
        entries.append({"name": name, "method": method, "num_requests": int(requests * share),
                        "num_failures": 0, "response_times": counts})  # fmt: skip
    return entries


def write_run(path: Path, start: int, rps: float, with_history: bool) -> None:
    path.mkdir(parents=True)
    info = {
        "run_id": path.name, "scenario": "post_15k", "start": start, "end": start + HOUR,
        "bench": "synthetic", "git_rev": "synthetic", "config": {"users": 200, "spawn_rate": 50},
        "hosts": {"app1": {"roles": ["app", "redis", "locust"]}},
    }  # fmt: skip
    (path / "run.json").write_text(json.dumps(info))
    requests = int(rps * HOUR)
    with (path / "locust_stats.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(STATS_HEADER)
        for kind, name in (("POST", "/api/v1/add_json"), ("", "Aggregated")):
            writer.writerow([kind, name, requests, 3, 24, 25.5, 1.1, 900.2, 45.0, rps, 0.001,
                             24, 27, 29, 31, 36, 40, 48, 60, 120, 300, 900])  # fmt: skip
    if not with_history:
        return
    rng = random.Random(42)
    (path / "locust_stats.json").write_text(json.dumps(stats_json(rng, requests)))
    with (path / "locust_stats_history.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HISTORY_HEADER)
        totals = dict.fromkeys([n for _m, n, _s in ENDPOINTS] + ["Aggregated"], 0.0)
        for second in range(HOUR):
            users = 50 * (1 + second // STEP_SECONDS)
            current = rps * (1 + 0.05 * math.sin(second / 60)) + rng.uniform(-20, 20)
            rows = [(m, n, s) for m, n, s in ENDPOINTS] + [("", "Aggregated", 1.0)]
            for method, name, share in rows:
                totals[name] += current * share  # cumulative, as Locust counts
                writer.writerow([start + second, users, method, name, f"{current * share:.2f}",
                                 "0.00", 24, 27, 29, 31, 36, 40 + second % 7, 48, 60, 120, 300,
                                 900, int(totals[name]), 0, 24, 25.5, 1.1, 900.2,
                                 45.0])  # fmt: skip
    series = [
        {"key": key, "scope": scope, "host": "app1", "label": key, "unit": unit,
         "points": [[start + t, level * (1 + 0.1 * math.sin(t / 300))]
                    for t in range(0, HOUR + 1, STEP)]}
        for key, scope, unit, level in SERIES
    ]  # fmt: skip
    metrics = {"source": "prometheus", "detail": "synthetic", "start": start,
               "end": start + HOUR, "step": STEP, "series": series, "missing": []}  # fmt: skip
    (path / "metrics.json").write_text(json.dumps(metrics))


def timed(current: Path) -> tuple[float, float, build.Report]:
    """(wall seconds, CPU seconds, report) of one build."""
    began, cpu_began = time.perf_counter(), time.process_time()
    report = build.build(current)
    return time.perf_counter() - began, time.process_time() - cpu_began, report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="builds to time (default 3)")
    args = parser.parse_args()
    full, bare = [], []  # (wall, CPU) with every chart, and without any (the baseline)
    draw = chart_set.draw
    with tempfile.TemporaryDirectory(prefix="rig-report-bench-") as tmp:
        results = Path(tmp)
        for index, rps in enumerate([2000, 2010, 1990, 2005, 1995]):
            write_run(results / f"earlier-{index}", START - (5 - index) * 2 * HOUR, rps, False)
        current = results / "current"
        write_run(current, START, 1900, True)
        rows = sum(1 for _ in (current / "locust_stats_history.csv").open()) - 1
        print(f"synthetic run: {rows} history rows, {len(SERIES)} series at {STEP} s, "
              f"5 earlier runs")  # fmt: skip
        for attempt in range(args.repeat):  # interleaved, so both see the same machine
            chart_set.draw = draw
            wall, cpu, report = timed(current)
            full.append((wall, cpu))
            chart_set.draw = lambda *_args, **_kw: []
            bare.append(timed(current)[:2])
            print(f"build {attempt + 1}: {wall:.2f} s ({cpu:.2f} s CPU); without charts "
                  f"{bare[-1][0]:.2f} s ({bare[-1][1]:.2f} s CPU)")  # fmt: skip
        chart_set.draw = draw
        charts = sorted(p.name for p in (current / "charts").glob("*.png"))
        print(f"charts: {', '.join(charts)}")
        for gap in report.missing:
            print(f"missing: {gap['what']}: {gap['why']}")
    # CPU time too: on a shared machine the wall time also counts the waits for a core.
    wall, cpu = (statistics.median(x) for x in zip(*full, strict=True))
    bare_wall, bare_cpu = (statistics.median(x) for x in zip(*bare, strict=True))
    print(f"median with every chart: {wall:.2f} s, {cpu:.2f} s CPU (aim 3 s); without charts "
          f"{bare_wall:.2f} s, {bare_cpu:.2f} s CPU; charts x{cpu / bare_cpu:.1f} CPU")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
