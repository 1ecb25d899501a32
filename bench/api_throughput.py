"""API throughput per endpoint under each server setting, beside raw Redis, in one run.

For each endpoint and each server configuration (Gunicorn with a worker class, Granian with
its blocking threads): requests/s, p50/p99 latency (wrk), requests per CPU-second of the API's
processes (psutil), the raw Redis ops/s of the same command on the same document
(redis-benchmark), and each configuration's ratio to the first one (the baseline). Every
configuration's server runs at the same time and the configurations take turns per endpoint, in
an order that alternates per repeat; medians are printed, and ratios as medians of the paired
runs' ratios. On a machine with 2+ cores every thread of the
API is pinned to the last core and Redis, wrk and redis-benchmark to the others, so "per API
CPU-second" is what one app core delivers. --profile samples one configuration with py-spy.

Configurations: gunicorn-gevent, gunicorn-sync, gunicorn-gthread-THREADS, granian-THREADS
(Granian's blocking threads per worker).

examples:
  python bench/api_throughput.py                       # gunicorn-gevent vs granian-8, 3 x 8 s
  python bench/api_throughput.py --configs gunicorn-gevent,gunicorn-gthread-4,granian-4,granian-16
  python bench/api_throughput.py --endpoints post_json,get_json_field,update_json_field \\
      --duration 5 --profile granian-8
  git worktree add /tmp/base main && \\
  python bench/api_throughput.py --configs granian-8 --against /tmp/base --repeat 5
  make install VENV=/tmp/venv-debian PYTHON=/usr/bin/python3 && \\
  python bench/api_throughput.py --configs granian-8 --python-against /tmp/venv-debian/bin/python
"""

import argparse
import contextlib
import functools
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import orjson
import psutil
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import api_profile  # bench/, the script's own folder
import api_report
from api_configs import ServerConfig, against, parse_config, under_python
from api_wrk import paced_script, parse_wrk, wrk_script

from app.store import LUA_DIR
from loadgen.documents import make_document
from rig import redis_server, serve

FIELD = "$.stats.attack"
FIELD_SEGMENTS = '["stats","attack"]'


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str  # relative to the API's URL
    body: str | None  # "doc" (15 KB document) or a literal JSON value
    raw: tuple  # the Redis command the endpoint boils down to ("DOC" is the document)


ENDPOINTS = [
    Endpoint("post_json", "POST", "/api/v1/add_json", "doc", ("JSON.SET", "bench:j", "$", "DOC")),
    Endpoint("post_string", "POST", "/api/v1/add_string", "doc", ("SET", "bench:s", "DOC")),
    Endpoint("get_json", "GET", "/api/v1/json/bench", None, ("JSON.GET", "rig:json:bench")),
    Endpoint("get_json_field", "GET", f"/api/v1/json/bench?path={FIELD}", None,
             ("JSON.GET", "rig:json:bench", FIELD)),
    Endpoint("update_json_field", "PATCH", f"/api/v1/json/bench?path={FIELD}", "42",
             ("EVALSHA", "json_patch", "1", "rig:json:bench", FIELD, "42")),
    Endpoint("get_string", "GET", "/api/v1/string/bench", None, ("GET", "rig:string:bench")),
    Endpoint("get_string_field", "GET", f"/api/v1/string/bench?path={FIELD}", None,
             ("EVALSHA", "string_path", "1", "rig:string:bench", "get", FIELD_SEGMENTS)),
    Endpoint("update_string_field", "PATCH", f"/api/v1/string/bench?path={FIELD}", "42",
             ("EVALSHA", "string_path", "1", "rig:string:bench", "set", FIELD_SEGMENTS, "42")),
]  # fmt: skip


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--configs",
        default="gunicorn-gevent,granian-8",
        help="comma-separated server configurations; the first is the baseline",
    )
    parser.add_argument("--workers", type=int, default=1, help="API workers (1: one core)")
    parser.add_argument("--endpoints", default=",".join(e.name for e in ENDPOINTS))
    parser.add_argument("--duration", type=int, default=8, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=50, help="wrk connections")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved repeats (medians)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin processes to cores")
    parser.add_argument("--no-raw", action="store_true", help="skip the raw Redis figures")
    parser.add_argument(
        "--profile",
        metavar="CONFIG",
        help="after the figures, py-spy each endpoint under this configuration",
    )
    parser.add_argument(
        "--half-load",
        action="store_true",
        help="then p99 of the fastest configuration at half its throughput",
    )
    versus = parser.add_mutually_exclusive_group()
    versus.add_argument(
        "--against",
        type=Path,
        metavar="CHECKOUT",
        help="also run every configuration with the API of this checkout (a git worktree of "
        "another commit), paired with it run by run: the ratios then compare the two versions",
    )
    versus.add_argument(
        "--python-against",
        metavar="PYTHON",
        help="also run every configuration's API under this interpreter (a venv's python with "
        "the rig installed: make install VENV=... PYTHON=...), paired run by run",
    )
    parser.add_argument("--json", type=Path, help="also write all figures to this file")
    args = parser.parse_args(argv)
    try:
        args.configs = [parse_config(c) for c in args.configs.split(",")]
        args.profile = parse_config(args.profile) if args.profile else None
    except ValueError as exc:
        parser.error(str(exc))
    if args.against:
        if not (args.against / "app" / "__init__.py").is_file():
            parser.error(f"--against {args.against}: not a checkout of the rig (no app/)")
        args.against = args.against.resolve()
        args.configs = [c for config in args.configs
                        for c in (against(config, args.against), config)]  # fmt: skip
    if args.python_against:
        version = interpreter_version(args.python_against)
        if version is None:
            parser.error(f"--python-against {args.python_against}: not a Python that can run "
                         "the API (flask, gunicorn and granian must import)")  # fmt: skip
        other = functools.partial(under_python, python=args.python_against, version=version)
        args.configs = [c for config in args.configs for c in (other(config), config)]
    return args


def interpreter_version(python: str) -> str | None:
    """The version of `python` when it can import the API's servers, else None."""
    probe = "import flask, gunicorn, granian, platform; print(platform.python_version())"
    try:
        done = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def cpu_sets(pin: bool) -> tuple[str | None, str | None]:
    """(API core, everything else) as taskset lists, or (None, None) when not pinning."""
    cores = sorted(os.sched_getaffinity(0))
    if not pin or len(cores) < 2:
        return None, None
    return str(cores[-1]), ",".join(map(str, cores[:-1]))


def pinned(argv: list[str], cpus: str | None) -> list[str]:
    return ["taskset", "-c", cpus, *argv] if cpus else argv


def process_cpu_seconds(root: psutil.Process) -> float:
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def measure_endpoint(api, endpoint, script, args, cpus) -> dict:
    url = api.url + endpoint.path.replace("$", "%24")
    wrk = ["wrk", "-t1", f"-c{args.connections}", "--latency", "-s", str(script), url]
    subprocess.run(pinned([*wrk[:3], "-d1s", *wrk[3:]], cpus), capture_output=True, check=True)
    root = psutil.Process(api.process.pid)
    before = process_cpu_seconds(root)
    done = subprocess.run(pinned([*wrk[:3], f"-d{args.duration}s", *wrk[3:]], cpus),
                          capture_output=True, text=True, check=True)  # fmt: skip
    cpu = process_cpu_seconds(root) - before
    figures = parse_wrk(done.stdout)
    figures["api_cpu_s"] = cpu
    figures["per_api_cpu_s"] = figures["requests"] / cpu if cpu else float("nan")
    return figures


def raw_redis(port: int, endpoint: Endpoint, doc: str, shas: dict, cpus, requests: int) -> float:
    """ops/s of the endpoint's Redis command, redis-benchmark -c 20 on the same document."""
    command = [shas.get(part, part) for part in endpoint.raw]
    command = [doc if part == "DOC" else part for part in command]
    argv = ["redis-benchmark", "-p", str(port), "-c", "20", "-n", str(requests), "--csv", *command]
    done = subprocess.run(pinned(argv, cpus), capture_output=True, text=True, check=True)
    # The test name column holds the whole command, document included: read from the end.
    last = done.stdout.strip().splitlines()[-1]
    fields = re.findall(r'"([^"]*)"', last)
    return float(fields[-7])


def seed(client: redis.Redis, doc: bytes) -> None:
    client.execute_command("JSON.SET", "rig:json:bench", "$", doc)
    client.set("rig:string:bench", doc)


def pin_tree(pid: int, cpu: int) -> None:
    """Every thread of the API's processes on `cpu`: the servers start their threads before
    we could pin the process, and a process's affinity covers only threads made after it."""
    for proc in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
        for task in Path(f"/proc/{proc.pid}/task").iterdir():
            with contextlib.suppress(OSError):
                os.sched_setaffinity(int(task.name), {cpu})


def start_api(config: ServerConfig, server, args, cpu: str | None, log: Path):
    api = serve.start(server.url, settings=config.settings(args.workers), log_path=log,
                      server=config.server, ready_path="/readyz", timeout=60,
                      root=config.checkout or serve.REPO_ROOT, python=config.python)  # fmt: skip
    if cpu:
        pin_tree(api.process.pid, int(cpu))
    return api


def half_load(results, chosen, scripts, server, client, doc, args, api_cpus, other_cpus, workdir):
    """p50/p99 of the fastest configuration of each endpoint at half its median throughput."""
    found = {}
    for endpoint in chosen:
        rps = {c.label: statistics.median(r["rps"] for r in results[(c.label, endpoint.name)])
               for c in args.configs}  # fmt: skip
        best = max(args.configs, key=lambda c: rps[c.label])
        target = rps[best.label] / 2
        script = paced_script(scripts[endpoint.name], args.connections, target)
        api = start_api(best, server, args, api_cpus, workdir / "api.log")
        try:
            runs = []
            for _ in range(args.repeat):
                seed(client, doc)
                runs.append(measure_endpoint(api, endpoint, script, args, other_cpus))
        finally:
            api.stop()
        found[endpoint.name] = {"config": best.label, "target_rps": target, "runs": runs}
    return found


def main(argv=None) -> int:
    args = parse_args(argv)
    tools = [("wrk", "wrk")] + ([] if args.no_raw else [("redis-benchmark", "redis-tools")])
    for tool, package in tools:
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: apt-get install {package}")
    if args.profile and api_profile.PY_SPY is None:
        sys.exit("py-spy not found: pip install py-spy (the dev extra has it)")
    chosen = [e for e in ENDPOINTS if e.name in args.endpoints.split(",")]
    api_cpus, other_cpus = cpu_sets(not args.no_pin)
    workdir = Path(tempfile.mkdtemp(prefix="rig-bench-"))
    doc = orjson.dumps(make_document(0, "15k"))
    doc_path = workdir / "doc.json"
    doc_path.write_bytes(doc)
    scripts = {e.name: wrk_script(e, doc_path, workdir) for e in chosen}
    print(f"document: {len(doc)} bytes; API on CPU {api_cpus or 'any'}, Redis and load on "
          f"CPU {other_cpus or 'any'}; {args.repeat} x {args.duration} s per figure")  # fmt: skip

    server = redis_server.start(data_dir=workdir / "redis")
    if other_cpus:
        subprocess.run(["taskset", "-pc", other_cpus, str(server.process.pid)],
                       capture_output=True, check=True)  # fmt: skip
    client = redis.Redis(port=server.port)
    seed(client, doc)
    shas = {
        name: client.script_load((LUA_DIR / f"{name}.lua").read_text())
        for name in ("json_patch", "string_path")
    }
    results: dict[tuple[str, str], list[dict]] = {}
    raw: dict[str, list[float]] = {}
    profiles: dict[str, list[str]] = {}
    half: dict[str, dict] = {}
    try:
        for repeat in range(args.repeat):
            for endpoint in chosen if not args.no_raw else []:
                raw.setdefault(endpoint.name, []).append(
                    raw_redis(server.port, endpoint, doc.decode(), shas, other_cpus, 20_000)
                )
            # Every configuration's server runs at once (only the measured one gets load), so
            # that the figures compared come from the same few seconds of this VM's speed; the
            # order alternates from one repeat to the next.
            order = args.configs if repeat % 2 == 0 else args.configs[::-1]
            with contextlib.ExitStack() as running:
                apis = {}
                for i, config in enumerate(order):
                    apis[config.label] = start_api(config, server, args, api_cpus,
                                                   workdir / f"api-{i}.log")  # fmt: skip
                    running.callback(apis[config.label].stop)
                for endpoint in chosen:
                    for config in order:
                        seed(client, doc)
                        api = apis[config.label]
                        figures = measure_endpoint(api, endpoint, scripts[endpoint.name], args,
                                                   other_cpus)  # fmt: skip
                        results.setdefault((config.label, endpoint.name), []).append(figures)
                        print(
                            f"  run {repeat + 1} {config.label:18} {endpoint.name:20} "
                            f"{figures['rps']:8.0f} req/s {figures['per_api_cpu_s']:6.0f} "
                            f"per API CPU-s, p99 {figures['p99_ms']:.1f} ms",
                            flush=True,
                        )
        if args.half_load:
            half = half_load(results, chosen, scripts, server, client, doc, args, api_cpus,
                             other_cpus, workdir)  # fmt: skip
        if args.profile:
            api = start_api(args.profile, server, args, api_cpus, workdir / "api.log")
            try:
                for endpoint in chosen:
                    seed(client, doc)
                    out = workdir / f"profile-{endpoint.name}.txt"
                    spy = api_profile.record(api.process.pid, args.duration, out)
                    measure_endpoint(api, endpoint, scripts[endpoint.name], args, other_cpus)
                    _, errors = spy.communicate(timeout=60)
                    profiles[endpoint.name] = (
                        api_profile.summarize(out) if out.is_file() else [f"py-spy: {errors}"]
                    )
            finally:
                api.stop()
    finally:
        client.close()
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    api_report.report(results, raw, chosen, args)
    api_report.half_load_table(half, args)
    for name, lines in profiles.items():
        print(f"\nprofile of {args.profile.label}, {name}:")
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
