"""CPU per Redis command of the API's connection layer beside redis-py's own client and pool.

All run the same command (a nested JSON.GET of the 15 KB document, the API's most frequent
call) one at a time to a local Redis with the JSON module, in the same process, interleaved;
CPU per command is this process' CPU time (Redis runs elsewhere), so the figure is the
layer's own cost plus packing, the socket calls and parsing. The baseline is redis-py's
`Redis` client over a BlockingConnectionPool set up as the API had it before (one retry on a
connection error); the floor is one bare redis-py connection with no pool at all. Medians of
the repeats, and the ratio to the baseline measured in the same run.

examples:
  python bench/connection_layer.py                      # 5 repeats of 20,000 commands
  python bench/connection_layer.py --commands 50000 --repeat 7
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import orjson
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.connections import Connections
from loadgen.documents import make_document
from rig import redis_server

KEY = "bench:connection-layer"
COMMAND = ("JSON.GET", KEY, "$['stats']['attack']")


class RedisPyClient:
    """redis-py's client and BlockingConnectionPool, as app/connections.py used them before."""

    def __init__(self, redis_url: str, timeout: float, max_connections: int):
        pool = redis.BlockingConnectionPool.from_url(
            redis_url, max_connections=max_connections, timeout=timeout,
            socket_timeout=timeout, socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), retries=1, supported_errors=(redis.ConnectionError,)),
        )  # fmt: skip
        self.client = redis.Redis(connection_pool=pool)

    def call(self, *args):
        return self.client.execute_command(*args)


class BareConnection:
    """One redis-py connection, no pool and no error handling: the floor."""

    def __init__(self, redis_url: str, timeout: float):
        settings = redis.ConnectionPool.from_url(redis_url, socket_timeout=timeout)
        self.connection = settings.connection_class(**settings.connection_kwargs)

    def call(self, *args):
        self.connection.send_command(*args)
        return self.connection.read_response()


# The layers take turns in blocks this small, so that a change of the shared VM's speed
# (it moves by several percent within seconds) falls on all of them alike.
BLOCK = 200


def cpu_per_command(layers: dict, commands: int) -> dict[str, float]:
    """CPU seconds per command of each layer, the layers interleaved block by block."""
    spent = dict.fromkeys(layers, 0.0)
    for layer in layers.values():
        layer.call(*COMMAND)  # connect outside the measurement
    for _ in range(max(1, commands // BLOCK)):
        for name, layer in layers.items():
            started = time.process_time()
            for _ in range(BLOCK):
                layer.call(*COMMAND)
            spent[name] += time.process_time() - started
    return {name: seconds / (max(1, commands // BLOCK) * BLOCK) for name, seconds in spent.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--commands", type=int, default=20_000, help="commands per measurement")
    parser.add_argument("--repeat", type=int, default=5, help="interleaved repeats (medians)")
    args = parser.parse_args(argv)

    server = redis_server.start()
    try:
        redis.Redis.from_url(server.url).execute_command(
            "JSON.SET", KEY, "$", orjson.dumps(make_document(0, "15k"))
        )
        layers = {
            "redis-py client + pool (baseline)": RedisPyClient(server.url, 2.0, 8),
            "app Connections": Connections(server.url, 2.0, max_connections=8),
            "bare connection (floor)": BareConnection(server.url, 2.0),
        }
        samples: dict[str, list[float]] = {name: [] for name in layers}
        for round_ in range(args.repeat):
            for name, seconds in cpu_per_command(layers, args.commands).items():
                samples[name].append(seconds)
            print(f"round {round_ + 1}/{args.repeat} done", file=sys.stderr)
    finally:
        server.stop()

    baseline = statistics.median(next(iter(samples.values())))
    print(f"CPU per command, median of {args.repeat} x {args.commands:,} commands")
    print(f"{'layer':34} {'µs/command':>11} {'ratio':>6}")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"{name:34} {median * 1e6:11.1f} {median / baseline:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
