"""Latency that HAProxy adds in front of the API at a fixed request rate, as ratios in one run.

One API instance (one gevent worker) and one Redis; wrk sends the same requests straight to
Gunicorn and through a local HAProxy (the haproxy role's template, keep-alive to the backend),
interleaved. The rate is held fixed well below saturation: each of C connections waits a fixed
think time after every response (wrk's delay()), so both paths see the same offered load and
the difference in latency is HAProxy's (loopback hop, parsing, its scheduling). Also printed:
HAProxy's CPU per request (psutil), which is what a balancer host spends per request.

examples:
  python bench/haproxy_latency.py                        # ~400 req/s, 3 repeats of 5 s
  python bench/haproxy_latency.py --connections 20 --think-ms 20 --repeat 5
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import orjson
import psutil
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from api_throughput import ENDPOINTS, parse_wrk, process_cpu_seconds

from loadgen.documents import make_document
from rig import haproxy, redis_server, serve

DEFAULT_ENDPOINTS = "get_json_field,post_json"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--endpoints", default=DEFAULT_ENDPOINTS, help=f"({DEFAULT_ENDPOINTS})")
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=10, help="wrk connections (10)")
    parser.add_argument("--think-ms", type=int, default=20, help="wait after each response (20)")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved repeats (medians)")
    return parser.parse_args(argv)


def wrk_script(endpoint, doc_path: Path, think_ms: int, workdir: Path) -> Path:
    lines = [
        f'wrk.method = "{endpoint.method}"',
        'wrk.headers["Content-Type"] = "application/json"',
    ]
    if endpoint.body == "doc":
        lines.append(f'local f = io.open("{doc_path}", "rb"); wrk.body = f:read("*a"); f:close()')
    elif endpoint.body is not None:
        lines.append(f"wrk.body = '{endpoint.body}'")
    lines.append(f"function delay() return {think_ms} end")
    script = workdir / f"{endpoint.name}.lua"
    script.write_text("\n".join(lines) + "\n")
    return script


def measure(base_url: str, endpoint, script: Path, args, cpu_of: psutil.Process) -> dict:
    url = base_url + endpoint.path.replace("$", "%24")
    wrk = ["wrk", "-t1", f"-c{args.connections}", f"-d{args.duration}s", "--latency", "-s",
           str(script), url]  # fmt: skip
    before = process_cpu_seconds(cpu_of)
    done = subprocess.run(wrk, capture_output=True, text=True, check=True)
    figures = parse_wrk(done.stdout)
    figures["balancer_cpu_s"] = process_cpu_seconds(cpu_of) - before
    return figures


def main(argv=None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("wrk not found: apt-get install wrk")
    chosen = [e for e in ENDPOINTS if e.name in args.endpoints.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="rig-bench-haproxy-"))
    doc = orjson.dumps(make_document(0, "15k"))
    (workdir / "doc.json").write_bytes(doc)
    scripts = {e.name: wrk_script(e, workdir / "doc.json", args.think_ms, workdir) for e in chosen}
    server = redis_server.start(data_dir=workdir / "redis")
    client = redis.Redis(port=server.port)
    client.execute_command("JSON.SET", "rig:json:bench", "$", doc)
    api = balancer = None
    results: dict[tuple[str, str], list[dict]] = {}
    try:
        api = serve.start(server.url, settings={"RIG_WORKERS": "1"}, log_path=workdir / "api.log")
        balancer = haproxy.start([haproxy.Backend("app1", "127.0.0.1", api.port)],
                                 workdir / "haproxy", haproxy_nbthread=1)  # fmt: skip
        haproxy_proc = psutil.Process(balancer.process.pid)
        paths = {"direct": api.url, "haproxy": balancer.url}
        print(f"{args.connections} connections x {args.think_ms} ms think time; "
              f"{args.repeat} x {args.duration} s per figure; one API worker")  # fmt: skip
        for repeat in range(args.repeat):
            order = ("direct", "haproxy") if repeat % 2 == 0 else ("haproxy", "direct")
            for endpoint in chosen:
                for path in order:
                    figures = measure(paths[path], endpoint, scripts[endpoint.name], args,
                                      haproxy_proc)  # fmt: skip
                    results.setdefault((path, endpoint.name), []).append(figures)
                    print(f"  run {repeat + 1} {path:8} {endpoint.name:16} {figures['rps']:6.0f} "
                          f"req/s p50 {figures['p50_ms']:.2f} ms p99 {figures['p99_ms']:.2f} ms",
                          flush=True)  # fmt: skip
    finally:
        for running in (balancer, api):
            if running is not None:
                running.stop()
        client.close()
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    report(results, chosen, args)
    return 0


def report(results, chosen, args) -> None:
    med = statistics.median
    print(f"\nmedians of {args.repeat} runs")
    print(
        f"{'endpoint':16} {'req/s':>6} {'p50 direct':>11} {'haproxy':>8} {'added ms':>9} "
        f"{'ratio':>6} {'p99 direct':>11} {'haproxy':>8} {'balancer CPU µs/req':>20}"
    )
    ratios = []
    for endpoint in chosen:
        direct, via = results[("direct", endpoint.name)], results[("haproxy", endpoint.name)]
        p50 = (med(r["p50_ms"] for r in direct), med(r["p50_ms"] for r in via))
        p99 = (med(r["p99_ms"] for r in direct), med(r["p99_ms"] for r in via))
        cpu_us = med(r["balancer_cpu_s"] / r["requests"] * 1e6 for r in via if r["requests"])
        # Paired within each repeat (the two paths ran back to back), then the median: the
        # machine's load drifts between repeats more than HAProxy's share.
        added = med(v["p50_ms"] - d["p50_ms"] for d, v in zip(direct, via, strict=True))
        ratio = med(v["p50_ms"] / d["p50_ms"] for d, v in zip(direct, via, strict=True))
        ratios.append(ratio)
        print(f"{endpoint.name:16} {med(r['rps'] for r in via):6.0f} {p50[0]:11.2f} "
              f"{p50[1]:8.2f} {added:9.2f} {ratio:6.2f} {p99[0]:11.2f} "
              f"{p99[1]:8.2f} {cpu_us:20.0f}")  # fmt: skip
    print(f"median latency through HAProxy vs direct (p50, median over endpoints): "
          f"{med(ratios):.2f}")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
