"""The workload's command-line options (also set by a scenario conf or LOCUST_* variables)."""

import argparse
import math
from dataclasses import dataclass

from locust import events

from loadgen import documents
from loadgen.pacing import pacing_of

# Ids the add tasks cycle over: 5000 documents of 15 KB take about 21 KB each as RedisJSON and
# 16.5 KB as a string in Redis 7, so post_15k levels off near 190 MB.
DEFAULT_DOC_POOL = 5000


def seconds_or_rate(text: str) -> float:
    """A finite number of at least 0 (seconds, or requests per second); argparse's error else.

    float() takes "nan", "inf" and "1e999": a NaN think time would make every wait NaN and an
    infinite one would stop the users for good, both without a word.
    """
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number of at least 0, not {text!r}")
    return value


@events.init_command_line_parser.add_listener
def add_workload_arguments(parser) -> None:
    group = parser.add_argument_group("rig workload", "Options of loadgen/locustfile.py")
    group.add_argument(
        "--doc-size",
        choices=sorted(documents.SIZES),
        default=documents.DEFAULT_SIZE,
        env_var="LOCUST_DOC_SIZE",
        help="size of the documents the add and seed steps send (default 15k)",
    )
    group.add_argument(
        "--seed-count",
        type=int,
        default=documents.DEFAULT_SEED_COUNT,
        env_var="LOCUST_SEED_COUNT",
        help="documents seed-000000... that read/update tasks address (default 1000)",
    )
    group.add_argument(
        "--doc-pool",
        type=int,
        default=DEFAULT_DOC_POOL,
        env_var="LOCUST_DOC_POOL",
        help="the add tasks write ids pool-0 ... pool-(N-1), overwriting, so Redis holds at "
        f"most N documents of each kind however long the run (default {DEFAULT_DOC_POOL}, "
        "about 190 MB of 15k documents as JSON and string; 0: a new id per write, unbounded)",
    )
    group.add_argument(
        "--skip-seed",
        action="store_true",
        default=False,
        env_var="LOCUST_SKIP_SEED",
        help="do not create the seed documents at test start (`rig seed` made them)",
    )
    group.add_argument(
        "--wait-min",
        type=seconds_or_rate,
        default=0.0,
        env_var="LOCUST_WAIT_MIN",
        help="least seconds a user waits between tasks (default 0)",
    )
    group.add_argument(
        "--wait-first",
        action="store_true",
        default=False,
        env_var="LOCUST_WAIT_FIRST",
        help="each user first waits what is left of a think time already under way, so a "
        "large idle crowd sends users / mean think time requests/s from the start instead "
        "of coming in a burst",
    )
    group.add_argument(
        "--server-keepalive",
        type=seconds_or_rate,
        default=15.0,
        env_var="LOCUST_SERVER_KEEPALIVE",
        help="seconds the server keeps an idle connection open (the API's RIG_KEEPALIVE, "
        "default 15); users whose least think time is longer close their connection after "
        "each request and reconnect for the next; 0: always keep connections",
    )
    group.add_argument(
        "--request-timeout",
        type=seconds_or_rate,
        default=60.0,
        env_var="LOCUST_REQUEST_TIMEOUT",
        help="seconds a user waits to connect, and then for each answer, before the request "
        "fails as a connect or read timeout (default 60, Locust's)",
    )
    group.add_argument(
        "--wait-max",
        type=seconds_or_rate,
        default=0.0,
        env_var="LOCUST_WAIT_MAX",
        help="most seconds a user waits between tasks (default 0)",
    )
    group.add_argument(
        "--arrival-rate",
        type=seconds_or_rate,
        default=0.0,
        env_var="LOCUST_ARRIVAL_RATE",
        help="open model: requests per second over all users, each user pacing its tasks "
        "at arrival-rate / users per second (default 0: closed model, --wait-min/max)",
    )
    # Set by the master at the test's start (loadgen/users.py): the users the arrival rate is
    # spread over. Workers see the master's custom options only, never its --users.
    group.add_argument(
        "--arrival-users",
        type=int,
        default=0,
        help="set by the master for its workers: the test's users under --arrival-rate",
    )


@dataclass
class Workload:
    """What the tasks need from the options, read once per test instead of once per request."""

    doc_size: str = documents.DEFAULT_SIZE
    seed_count: int = documents.DEFAULT_SEED_COUNT
    doc_pool: int = DEFAULT_DOC_POOL
    wait_min: float = 0.0
    wait_max: float = 0.0
    wait_first: bool = False
    # Open model: seconds between the starts of one user's tasks (users / arrival rate); 0
    # for the closed model.
    pacing: float = 0.0
    server_keepalive: float = 15.0
    request_timeout: float = 60.0

    @property
    def closes_idle_connections(self) -> bool:
        """True when every think time outlasts the server's keep-alive (see users.py)."""
        return self.server_keepalive > 0 and self.wait_min > self.server_keepalive

    @classmethod
    def from_options(cls, options) -> "Workload":
        if options is None:
            return cls()
        wait_min = float(getattr(options, "wait_min", 0.0) or 0.0)
        return cls(
            doc_size=documents.check_size(
                getattr(options, "doc_size", None) or documents.DEFAULT_SIZE
            ),
            seed_count=max(0, int(getattr(options, "seed_count", documents.DEFAULT_SEED_COUNT))),
            doc_pool=max(0, int(getattr(options, "doc_pool", DEFAULT_DOC_POOL))),
            wait_min=wait_min,
            wait_max=max(wait_min, float(getattr(options, "wait_max", 0.0) or 0.0)),
            wait_first=bool(getattr(options, "wait_first", False)),
            server_keepalive=max(0.0, float(getattr(options, "server_keepalive", 15.0) or 0.0)),
            request_timeout=max(0.1, float(getattr(options, "request_timeout", 60.0) or 60.0)),
            pacing=pacing_of(options),
        )
