"""The canary's own spread on this box: N canaries back to back against a fresh Redis (with the
JSON module) and the API, as `rig local --canary` runs them.

    .venv/bin/python bench/canary_noise.py [--repeat 5]

Prints each canary's Redis ops/s and /healthz req/s, then the median and the coefficient of
variation of each: the noise the move rule (reports/canary.py: 3 robust sigmas, at least
10 %) has to see through.
"""

import argparse
import statistics
import tempfile
from pathlib import Path

from reports import compare
from rig import canary, redis_server, serve


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    logs = Path(tempfile.mkdtemp(prefix="canary-noise-"))
    redis = redis_server.start(log_path=logs / "redis.log")
    try:
        api = serve.start(redis.url, log_path=logs / "api.log")
        try:
            figures = {"redis": [], "http": []}
            for index in range(args.repeat):
                result = canary.run(redis.url, "rig:", f"{api.url}/healthz")
                print(f"{index + 1}: {canary.line(result)}")
                for key in figures:
                    figures[key].append(result[key]["per_s"])
        finally:
            api.stop()
    finally:
        redis.stop()
    for key, values in figures.items():
        median, cv = statistics.median(values), compare.cv_pct(values)
        print(f"{key}: median {median:,.0f}/s, CV {cv:.1f} % over {len(values)} canaries")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
