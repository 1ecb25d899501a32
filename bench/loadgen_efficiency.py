"""How cheap is the rig's load generator? Prints two figures (run it from the checkout).

1. Requests per load-generator CPU-second: our locustfile (get_json_field, with response
   validation and every plugin) and a bare FastHttpUser on the same endpoint, both running
   at once against the same API, and their ratio.
2. Idle users: N mostly-idle users (--wait-first, long waits) on 4 worker processes; memory
   per user from each worker's RSS before and after the spawn, and whether the spawn rate held.

examples:
  .venv/bin/python bench/loadgen_efficiency.py                 # both parts, about 100 s
  .venv/bin/python bench/loadgen_efficiency.py --part idle --idle-users 100000 --spawn-rate 10000
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from loadgen import seeding
from rig import processes, redis_server, serve
from rig.paths import REPO_ROOT
from rig.ports import free_port

LOCUSTFILE = REPO_ROOT / "loadgen" / "locustfile.py"
SAMPLER = REPO_ROOT / "bench" / "loadgen_sampler.py"
SEEDED = 100
BARE = """
import random
from locust import FastHttpUser, task

class BareUser(FastHttpUser):
    @task
    def get_json_field(self):
        doc = f"seed-{random.randrange(SEEDED):06d}"
        self.client.get(f"/api/v1/json/{doc}?path=$.stats.attack", name="/api/v1/json/[id]?path")
""".replace("SEEDED", str(SEEDED))


def locust(*args: str) -> list[str]:
    return [sys.executable, "-m", "locust", *args]


def env_for(samples: Path) -> dict[str, str]:
    env = dict(os.environ, LOADGEN_SAMPLES=str(samples))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.pop("LOCUST_SKIP_MONKEY_PATCH", None)
    return env


def read_samples(base: Path) -> dict[int, list[tuple[float, ...]]]:
    """pid -> [(time, cpu_seconds, rss, users, requests), ...] from the sampler's files."""
    found = {}
    for path in base.parent.glob(base.name + ".*"):
        rows = [tuple(map(float, line.split())) for line in path.read_text().splitlines()]
        found[int(path.suffix[1:])] = [row for row in rows if len(row) == 5]
    return found


def per_cpu_second(rows, skip_start: float = 3.0, skip_end: float = 2.0, chunk: int = 5):
    """Requests per CPU-second over the loaded window, whole and per `chunk`-second slice."""
    loaded = [r for r in rows if r[4] > 0]
    start, end = loaded[0][0] + skip_start, loaded[-1][0] - skip_end
    window = [r for r in loaded if start <= r[0] <= end]
    whole = (window[-1][4] - window[0][4]) / (window[-1][1] - window[0][1])
    slices = [
        (b[4] - a[4]) / (b[1] - a[1])
        for a, b in zip(window[::chunk], window[chunk::chunk], strict=False)
        if b[1] > a[1]
    ]
    return whole, slices or [whole], window[-1][0] - window[0][0]


def efficiency(api_url: str, work: Path, users: int, seconds: int) -> None:
    bare = work / "bare_locustfile.py"
    bare.write_text(BARE)
    common = ["--headless", "-H", api_url, "-u", str(users), "-r", str(users), "-t", f"{seconds}s"]
    runs = {
        "ours": locust(
            "-f", f"{LOCUSTFILE},{SAMPLER}", "-T", "get_json_field", "--seed-count", str(SEEDED),
            "--skip-seed", "--prometheus-port", str(free_port()), "--run-dir",
            str(work / "ours"), *common,
        ),
        "bare": locust("-f", f"{bare},{SAMPLER}", "--csv", str(work / "bare" / "locust"), *common),
    }  # fmt: skip
    started = {}
    for name, argv in runs.items():
        env = env_for(work / f"samples-{name}")
        started[name] = processes.spawn(argv, env=env, log_path=work / f"{name}.log", cwd=work)
    for process in started.values():
        try:
            process.wait(seconds + 60)
        finally:
            processes.stop(process)
    figures = {}
    for name in runs:
        (rows,) = read_samples(work / f"samples-{name}").values()
        whole, slices, span = per_cpu_second(rows)
        figures[name] = (whole, statistics.median(slices))
        print(
            f"{name:5s}: {whole:7.0f} requests per CPU-second over {span:.0f} s "
            f"(median of {len(slices)} 5-s slices {statistics.median(slices):.0f}); "
            f"{rows[-1][4]:.0f} requests"
        )
    print(
        f"ratio ours/bare: {figures['ours'][0] / figures['bare'][0]:.2f} "
        f"(median slices: {figures['ours'][1] / figures['bare'][1]:.2f})"
    )


def idle(api_url: str, work: Path, users: int, spawn_rate: float, workers: int, seconds: int):
    master_port = free_port()
    samples = work / "samples-idle"
    master = locust(
        "-f", str(LOCUSTFILE), "--master", "--master-bind-port", str(master_port),
        "--expect-workers", str(workers), "--expect-workers-max-wait", "30", "--headless",
        "-H", api_url, "-u", str(users), "-r", str(spawn_rate), "-t", f"{seconds}s",
        "-T", "get_json_field", "--seed-count", str(SEEDED), "--skip-seed", "--wait-first",
        "--wait-min", "30", "--wait-max", "600", "--prometheus-port", "0",
        "--run-dir", str(work / "idle"), "--only-summary",
    )  # fmt: skip
    worker = locust("--worker", "-f", f"{LOCUSTFILE},{SAMPLER}", "--master-port", str(master_port))
    log = work / "idle-master.log"
    started = [processes.spawn(master, env=env_for(samples), log_path=log, cwd=work)]
    for index in range(workers):
        started.append(
            processes.spawn(
                worker, env=env_for(samples), log_path=work / f"idle-w{index}.log", cwd=work
            )
        )
    try:
        code = started[0].wait(seconds + 90)
    finally:
        for process in started:
            processes.stop(process)
    text = log.read_text()
    marks = "Sending spawn jobs|Ramping to|All users spawned"
    stamps = re.findall(rf"\[(\S+ \S+),(\d+)\] .*?({marks})", text)
    spawn_s = None
    if len(stamps) >= 2:
        t0, t1 = (
            time.mktime(time.strptime(day, "%Y-%m-%d %H:%M:%S")) + int(ms) / 1000
            for day, ms, _ in stamps[:2]
        )
        spawn_s = round(t1 - t0, 1)
    per_user, held, ramps = [], [], []
    for rows in read_samples(samples).values():
        if not rows or max(r[3] for r in rows) == 0:
            continue
        base = [r for r in rows if r[3] == 0]
        top = max(r[3] for r in rows)
        full = [r for r in rows if r[3] == top]
        rss_before = base[-1][2] if base else rows[0][2]
        per_user.append((full[-1][2] - rss_before) / top / 1024)
        held.append(top)
        ramps.append(full[0][0] - next(r[0] for r in rows if r[3] > 0))
    spawned = sum(held)
    print(
        f"idle: {spawned:.0f} of {users} users on {len(held)} workers "
        f"({', '.join(f'{h:.0f}' for h in held)}), spawn rate {spawn_rate:g}/s, "
        f"master saw all spawned after {spawn_s if spawn_s is not None else 'n/a'} s "
        f"(nominal {users / spawn_rate:.0f} s), master exit {code}"
    )
    if ramps:
        print(f"idle: workers reached their users within {max(ramps):.0f} s (1-s samples)")
    if per_user:
        print(
            f"idle: memory per user {statistics.median(per_user):.1f} KB (median of workers; "
            f"{', '.join(f'{k:.1f}' for k in per_user)})"
        )
    failures = re.search(r"Aggregated\s+(\d+)\s+(\d+)\(", text)
    if failures:
        print(f"idle: {failures.group(1)} requests, {failures.group(2)} failures during the run")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("examples:")[1] and "examples:" + __doc__.split("examples:")[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--part", choices=["efficiency", "idle", "both"], default="both")
    parser.add_argument("--users", type=int, default=20, help="users per process, part 1")
    parser.add_argument("--seconds", type=int, default=25, help="run time of part 1")
    parser.add_argument("--idle-users", type=int, default=100_000)
    parser.add_argument("--spawn-rate", type=float, default=10_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--idle-seconds", type=int, default=40)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="loadgen-bench-") as tmp:
        work = Path(tmp)
        redis = redis_server.start(data_dir=work / "redis")
        api = None
        try:
            settings = {"RIG_WORKERS": "2", "RIG_WORKER_CLASS": "gevent", "RIG_KEY_PREFIX": "rig:"}
            api = serve.start(redis.url, settings=settings, log_path=work / "api.log")
            seeding.seed(api.url, SEEDED, "15k", ("json",))
            print(f"API: gunicorn, 2 gevent workers, at {api.url}; {os.cpu_count()} CPUs")
            if args.part in ("efficiency", "both"):
                efficiency(api.url, work, args.users, args.seconds)
            if args.part in ("idle", "both"):
                idle(
                    api.url, work, args.idle_users, args.spawn_rate, args.workers, args.idle_seconds
                )
        except subprocess.SubprocessError as exc:
            print(f"benchmark failed: {exc}", file=sys.stderr)
            return 1
        finally:
            if api:
                api.stop()
            redis.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
