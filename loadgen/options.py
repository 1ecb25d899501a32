"""The workload's command-line options (also set by a scenario conf or LOCUST_* variables)."""

from dataclasses import dataclass

from locust import events

from loadgen import documents

# Ids the add tasks cycle over: 5000 documents of 15 KB take about 21 KB each as RedisJSON and
# 16.5 KB as a string in Redis 7, so post_15k levels off near 190 MB.
DEFAULT_DOC_POOL = 5000


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
        type=float,
        default=0.0,
        env_var="LOCUST_WAIT_MIN",
        help="least seconds a user waits between tasks (default 0)",
    )
    group.add_argument(
        "--wait-first",
        action="store_true",
        default=False,
        env_var="LOCUST_WAIT_FIRST",
        help="each user waits once before its first task (a large idle crowd ramps "
        "without a burst of requests)",
    )
    group.add_argument(
        "--wait-max",
        type=float,
        default=0.0,
        env_var="LOCUST_WAIT_MAX",
        help="most seconds a user waits between tasks (default 0)",
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
        )
