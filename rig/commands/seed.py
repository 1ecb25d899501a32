"""`rig seed`: create the documents that the read and update scenarios address."""

import argparse

from loadgen import documents


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "seed",
        help="create the seed documents (seed-000000 ...) through the API",
        description="POST documents seed-000000 ... seed-<N-1> as JSON and as strings, so "
        "every Locust worker can address them. Run it before a distributed run and pass "
        "--skip-seed --seed-count N to Locust.",
        epilog="example:\n  rig seed --host http://127.0.0.1:8000 --count 1000 --size 15k",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", required=True, help="base URL of the API")
    parser.add_argument("--count", type=int, default=1000, help="documents per kind (1000)")
    parser.add_argument("--size", choices=sorted(documents.SIZES), default="15k")
    parser.add_argument(
        "--kinds", default="json,string", help="comma-separated: json, string (both)"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight (8)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from loadgen import seeding  # requests and Faker load only when seeding

    kinds = tuple(kind.strip() for kind in args.kinds.split(",") if kind.strip())
    result = seeding.seed(args.host, args.count, args.size, kinds, args.concurrency)
    print(
        f"seeded {result.created} documents ({', '.join(result.kinds)}; {result.size}) "
        f"in {result.seconds:.1f} s"
    )
    return 0
