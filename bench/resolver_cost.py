"""What one host lookup costs the load generator, per gevent resolver, in one run.

    .venv/bin/python bench/resolver_cost.py [--lookups 5000] [--repeat 5]

geventhttpclient looks the host up for every new connection; a crowd that closes after each
request (the seed scenario) does one lookup per request. Prints the CPU microseconds per
getaddrinfo("127.0.0.1") under gevent's thread-pool resolver (its default), its c-ares
resolver (the rig's, loadgen/plugins/resolver.py) and the blocking one, medians of the
repeats, and each as a ratio to the thread pool's.
"""

import argparse
import statistics
import time

import gevent
import gevent.socket
from gevent.resolver.ares import Resolver as AresResolver
from gevent.resolver.blocking import Resolver as BlockingResolver
from gevent.resolver.thread import Resolver as ThreadResolver

RESOLVERS = {"thread": ThreadResolver, "ares": AresResolver, "block": BlockingResolver}
MAX_LOOKUPS = 1_000_000


def cost(lookups: int) -> float:
    """CPU microseconds per lookup with the hub's current resolver."""
    start = time.process_time()
    for _ in range(lookups):
        gevent.socket.getaddrinfo("127.0.0.1", 8000, 0, gevent.socket.SOCK_STREAM)
    return (time.process_time() - start) / lookups * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not 1 <= args.lookups <= MAX_LOOKUPS or not 1 <= args.repeat <= 100:
        parser.error(f"--lookups 1..{MAX_LOOKUPS}, --repeat 1..100")
    hub = gevent.get_hub()
    runs: dict[str, list[float]] = {name: [] for name in RESOLVERS}
    for _ in range(args.repeat):  # interleaved, so drift on a shared box hits all alike
        for name, resolver in RESOLVERS.items():
            hub.resolver = resolver(hub=hub)
            runs[name].append(cost(args.lookups))
    base = statistics.median(runs["thread"])
    for name, values in runs.items():
        median = statistics.median(values)
        print(f"{name:7} {median:6.1f} µs CPU per lookup  x {median / base:.2f} of thread")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
