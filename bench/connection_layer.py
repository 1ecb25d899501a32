"""CPU per Redis command of the API's connection layer beside the hand-written one it replaced.

Both run the same command (a nested JSON.GET of the 15 KB document, the API's most frequent
call) one at a time over one connection to a local Redis with the JSON module, in the same
process, interleaved; CPU per command is this process' CPU time (Redis runs elsewhere), so
the figure is the layer's own cost plus packing and parsing. Medians of the repeats, and the
ratio to the baseline measured in the same run.

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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.connections import Connections
from loadgen.documents import make_document
from rig import redis_server

KEY = "bench:connection-layer"
COMMAND = ("JSON.GET", KEY, "$['stats']['attack']")


class HandWrittenConnections:
    """The layer app/connections.py had before: a LIFO list of redis-py connections.

    Kept here only as the baseline: it never returned a connection after an error reply.
    """

    def __init__(self, redis_url: str, timeout: float):
        self._factory = redis.ConnectionPool.from_url(
            redis_url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self._idle: list[redis.Connection] = []

    def call(self, *args):
        try:
            connection = self._idle.pop()
        except IndexError:
            connection = self._factory.make_connection()
        connection.send_command(*args)
        reply = connection.read_response()
        self._idle.append(connection)
        return reply


def cpu_per_command(layer, commands: int) -> float:
    layer.call(*COMMAND)  # connect outside the measurement
    started = time.process_time()
    for _ in range(commands):
        layer.call(*COMMAND)
    return (time.process_time() - started) / commands


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
            "hand-written list (baseline)": HandWrittenConnections(server.url, 2.0),
            "BlockingConnectionPool (app)": Connections(server.url, 2.0, max_connections=8),
        }
        samples: dict[str, list[float]] = {name: [] for name in layers}
        for round_ in range(args.repeat):
            for name, layer in layers.items():
                samples[name].append(cpu_per_command(layer, args.commands))
            print(f"round {round_ + 1}/{args.repeat} done", file=sys.stderr)
    finally:
        server.stop()

    baseline = statistics.median(next(iter(samples.values())))
    print(f"CPU per command, median of {args.repeat} x {args.commands:,} commands")
    print(f"{'layer':32} {'µs/command':>11} {'ratio':>6}")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"{name:32} {median * 1e6:11.1f} {median / baseline:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
