"""Client-side cost per command of the API's Redis clients, as ratios in one run.

The same commands the API sends (JSON.SET and JSON.GET of a 15 KB document, and the EVALSHA of
a single-key Lua script), from this one process, through:

  single   app/connections.py's Connections to one Redis (the baseline)
  router   app/cluster.py's ClusterConnections to a local cluster of 3 primaries
  library  redis-py's RedisCluster to the same cluster

"user µs" is this process's user CPU time per command (getrusage): the client library's own
work (routing, encoding, parsing); "CPU µs" adds the kernel's (loopback TCP, charged to both
ends, and noisy on a shared machine). Wall µs includes Redis. Interleaved repeats over the same
keys (spread over every slot range); medians. This process runs on the last core (when there
are two or more), the servers on the others.

examples:
  nice -n 10 python bench/cluster_client_cost.py                 # 9 repeats of 500 ops
  nice -n 10 python bench/cluster_client_cost.py --ops 2000 --repeat 15
"""

import argparse
import contextlib
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.cluster import ClusterConnections
from app.connections import Connections
from loadgen.documents import make_document
from rig import redis_cluster, redis_server

TIMEOUT = 2.0
POOL = 4
KEYS = 256  # keys of the run: every primary owns some of them
SCRIPT = "return redis.call('JSON.GET', KEYS[1], ARGV[1])"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ops", type=int, default=500, help="commands per measurement")
    parser.add_argument("--repeat", type=int, default=9, help="interleaved repeats (medians)")
    return parser.parse_args(argv)


class Library:
    """redis-py's RedisCluster behind the API's call/script interface."""

    def __init__(self, host: str, port: int):
        self.client = redis.RedisCluster(
            host=host, port=port, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT
        )

    def call(self, *args):
        return self.client.execute_command(*args)

    def script(self, source: str):
        registered = self.client.register_script(source)
        return lambda keys, args: registered(keys=keys, args=args)

    def close(self) -> None:
        self.client.close()


def operations(doc: bytes):
    """(name, function(client, script, key)) of each measured command."""
    return [
        ("JSON.SET 15 KB", lambda c, s, k: c.call("JSON.SET", k, "$", doc)),
        ("JSON.GET 15 KB", lambda c, s, k: c.call("JSON.GET", k, "$")),
        ("EVALSHA (1 key)", lambda c, s, k: s([k], ["$.id"])),
    ]


def measure(client, script, operation, keys: list[bytes], ops: int) -> tuple[float, ...]:
    """(user CPU µs, CPU µs, wall µs) per command of `ops` commands over `keys`."""
    before, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    for i in range(ops):
        operation(client, script, keys[i % len(keys)])
    after, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - wall
    user = after.ru_utime - before.ru_utime
    system = after.ru_stime - before.ru_stime
    return user / ops * 1e6, (user + system) / ops * 1e6, wall / ops * 1e6


def pin(server_pids: list[int]) -> str:
    """This process on the last core, the servers on the others: a server sharing the client's
    core would slow the client's own code (caches) and blur the comparison."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return "client and servers on any CPU"
    for pid in server_pids:
        os.sched_setaffinity(pid, set(cores[:-1]))
    os.sched_setaffinity(0, {cores[-1]})
    return f"client on CPU {cores[-1]}, servers on CPU {','.join(map(str, cores[:-1]))}"


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="rig-bench-client-"))
    doc = orjson.dumps(make_document(0, "15k"))
    keys = [f"rig:bench:client:{i}".encode() for i in range(KEYS)]
    single = redis_server.start(data_dir=workdir / "single")
    cluster = redis_cluster.start(3, data_dir=workdir / "cluster")
    where = pin([single.process.pid, *(node.process.pid for node in cluster.nodes)])
    clients = {
        "single": Connections(single.url, TIMEOUT, POOL),
        "router": ClusterConnections(cluster.url, TIMEOUT, POOL),
        "library": Library("127.0.0.1", cluster.ports[0]),
    }
    scripts = {name: client.script(SCRIPT) for name, client in clients.items()}
    print(f"{len(doc):,} B document, {KEYS} keys, {args.repeat} x {args.ops} ops; {where}")
    results: dict[tuple[str, str], list[tuple[float, ...]]] = {}
    try:
        for name, client in clients.items():  # warm: connections, slot maps, scripts loaded
            for key in keys:
                client.call("JSON.SET", key, "$", doc)
                scripts[name]([key], ["$.id"])
        order = list(clients)
        for repeat in range(args.repeat):
            for name in order if repeat % 2 == 0 else order[::-1]:
                for op_name, operation in operations(doc):
                    figures = measure(clients[name], scripts[name], operation, keys, args.ops)
                    results.setdefault((name, op_name), []).append(figures)
            print(f"  repeat {repeat + 1} of {args.repeat} done", flush=True)
    finally:
        for client in clients.values():
            for key in keys:
                with contextlib.suppress(redis.RedisError):
                    client.call("DEL", key)
            getattr(client, "close", lambda: None)()  # the router keeps its pools to the end
        cluster.stop()
        single.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    report(results, [op for op, _ in operations(doc)], args)
    return 0


NAMES = ("single", "router", "library")
FIGURES = ("user CPU", "CPU", "wall")


def report(results, op_names: list[str], args) -> None:
    med = statistics.median
    print(f"\nmedians of {args.repeat} runs, µs per command")
    print(f"{'command':17} {'figure':9} {'single':>8} {'router':>8} {'library':>8} "
          f"{'router:single':>14} {'library:single':>15} {'library:router':>15}")  # fmt: skip
    library_vs_router = {figure: [] for figure in FIGURES}
    for op in op_names:
        for index, figure in enumerate(FIGURES):
            value = {n: med(r[index] for r in results[(n, op)]) for n in NAMES}
            library_vs_router[figure].append(value["library"] / value["router"])
            print(f"{op:17} {figure:9} {value['single']:8.1f} {value['router']:8.1f} "
                  f"{value['library']:8.1f} {value['router'] / value['single']:14.2f} "
                  f"{value['library'] / value['single']:15.2f} "
                  f"{library_vs_router[figure][-1]:15.2f}")  # fmt: skip
    for figure in FIGURES:
        print(f"redis-py RedisCluster : app/cluster.py, {figure} per command (median over "
              f"commands): {med(library_vs_router[figure]):.2f}")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
