"""API CPU per request against a 3-primary Redis Cluster vs one Redis, as ratios in one run.

The same API (one Gunicorn worker, pinned to the last core) serves the same endpoints with
wrk, once over a single Redis and once with RIG_REDIS_CLUSTER=1 over a local cluster of 3
primaries (Redis, the cluster and wrk on the other cores). Interleaved repeats; medians.
"requests per API CPU-second" counts the Gunicorn processes' CPU (psutil), so the ratio
cluster/single is the cost of the cluster routing per request (1.0 = none).

examples:
  python bench/cluster_cost.py                              # 3 repeats of 5 s
  python bench/cluster_cost.py --endpoints post_json --duration 8 --repeat 5
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

from api_throughput import ENDPOINTS, cpu_sets, measure_endpoint, wrk_script

from loadgen.documents import make_document
from rig import redis_cluster, redis_server, serve

DEFAULT_ENDPOINTS = "post_json,get_json_field,update_string_field"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--endpoints", default=DEFAULT_ENDPOINTS, help=f"({DEFAULT_ENDPOINTS})")
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=50, help="wrk connections")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved repeats (medians)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin processes to cores")
    return parser.parse_args(argv)


def pin(pid: int, cpus: str | None) -> None:
    if cpus:
        subprocess.run(["taskset", "-apc", cpus, str(pid)], capture_output=True, check=True)


def seed(client, doc: bytes) -> None:
    client.execute_command("JSON.SET", "rig:json:bench", "$", doc)
    client.set("rig:string:bench", doc)


def main(argv=None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("wrk not found: apt-get install wrk")
    chosen = [e for e in ENDPOINTS if e.name in args.endpoints.split(",")]
    api_cpus, other_cpus = cpu_sets(not args.no_pin)
    workdir = Path(tempfile.mkdtemp(prefix="rig-bench-cluster-"))
    doc = orjson.dumps(make_document(0, "15k"))
    doc_path = workdir / "doc.json"
    doc_path.write_bytes(doc)
    scripts = {e.name: wrk_script(e, doc_path, workdir) for e in chosen}
    print(
        f"API (1 gevent worker) on CPU {api_cpus or 'any'}; Redis, cluster and wrk on CPU "
        f"{other_cpus or 'any'}; {args.repeat} x {args.duration} s, -c{args.connections}"
    )
    single = redis_server.start(data_dir=workdir / "single")
    cluster = redis_cluster.start(3, data_dir=workdir / "cluster")
    for pid in [single.process.pid, *(node.process.pid for node in cluster.nodes)]:
        pin(pid, other_cpus)
    clients = {"single": redis.Redis(port=single.port), "cluster": redis.RedisCluster(
        host="127.0.0.1", port=cluster.ports[0])}  # fmt: skip
    urls = {"single": (single.url, {}), "cluster": (cluster.url, {"RIG_REDIS_CLUSTER": "1"})}
    results: dict[tuple[str, str], list[dict]] = {}
    try:
        for repeat in range(args.repeat):
            for tier in ("single", "cluster") if repeat % 2 == 0 else ("cluster", "single"):
                url, extra = urls[tier]
                settings = {"RIG_WORKER_CLASS": "gevent", "RIG_WORKERS": "1", **extra}
                api = serve.start(url, settings=settings, log_path=workdir / f"api-{tier}.log")
                try:
                    for proc in [
                        psutil.Process(api.process.pid),
                        *psutil.Process(api.process.pid).children(recursive=True),
                    ]:
                        proc.cpu_affinity([int(api_cpus)]) if api_cpus else None  # fmt: skip
                    for endpoint in chosen:
                        seed(clients[tier], doc)
                        figures = measure_endpoint(api, endpoint, scripts[endpoint.name], args,
                                                   other_cpus)  # fmt: skip
                        results.setdefault((tier, endpoint.name), []).append(figures)
                        print(f"  run {repeat + 1} {tier:8} {endpoint.name:20} "
                              f"{figures['rps']:7.0f} req/s {figures['per_api_cpu_s']:6.0f} per "
                              f"API CPU-s, non-2xx {figures['non_2xx']}", flush=True)  # fmt: skip
                finally:
                    api.stop()
    finally:
        for client in clients.values():
            client.close()
        cluster.stop()
        single.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    report(results, chosen, args)
    return 0


def report(results, chosen, args) -> None:
    med = statistics.median
    print(f"\nmedians of {args.repeat} runs")
    print(f"{'endpoint':20} {'single req/API-CPU-s':>21} {'cluster':>8} "
          f"{'CPU/request cluster:single':>27} {'req/s single':>13} {'cluster':>8}")  # fmt: skip
    ratios = []
    for endpoint in chosen:
        per = {t: med(r["per_api_cpu_s"] for r in results[(t, endpoint.name)]) for t in
               ("single", "cluster")}  # fmt: skip
        rps = {t: med(r["rps"] for r in results[(t, endpoint.name)]) for t in ("single", "cluster")}
        ratio = per["single"] / per["cluster"]  # CPU per request is the inverse of req per CPU
        ratios.append(ratio)
        print(f"{endpoint.name:20} {per['single']:21.0f} {per['cluster']:8.0f} {ratio:27.3f} "
              f"{rps['single']:13.0f} {rps['cluster']:8.0f}")  # fmt: skip
    print(f"API CPU per request, cluster vs single Redis (median over endpoints): "
          f"{med(ratios):.3f}")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
