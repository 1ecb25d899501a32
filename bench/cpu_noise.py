"""The box's own noise floor: how much the speed of one core moves between windows of time.

    .venv/bin/python bench/cpu_noise.py [--windows 10] [--seconds 30]

A fixed, single-threaded, CPU-bound workload (serialising and parsing the rig's 15 KB
document with orjson, the API's own hot path) runs back to back in windows as long as a
benchmark repeat. Nothing else of the rig runs. Prints each window's operations per second and
the share of CPU time the hypervisor took away (steal, from /proc/stat), then the median and
the coefficient of variation: no benchmark on this box can repeat more steadily than this.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadgen.documents import make_document
from reports import compare

MAX_WINDOWS = 1000  # a bound on the loop


def cpu_times() -> tuple[int, int]:
    """(all jiffies, steal jiffies) of the whole machine so far."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields[:8]), fields[7]  # user nice system idle iowait irq softirq steal


def window(document: dict, seconds: float) -> tuple[float, float]:
    """Operations per second and the steal share (%) over one window."""
    total0, steal0 = cpu_times()
    done, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(100):
            orjson.loads(orjson.dumps(document))
        done += 100
        now = time.perf_counter()
        if now >= deadline:
            break
    total1, steal1 = cpu_times()
    steal = 100.0 * (steal1 - steal0) / max(1, total1 - total0)
    return done / (now - start), steal


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    if not 2 <= args.windows <= MAX_WINDOWS or not 0.1 <= args.seconds <= 3600:
        parser.error(f"--windows 2..{MAX_WINDOWS} and --seconds 0.1..3600")
    document = make_document(0, "15k")
    rates = []
    for index in range(args.windows):
        rate, steal = window(document, args.seconds)
        rates.append(rate)
        print(f"window {index + 1}/{args.windows}: {rate:,.0f} ops/s, steal {steal:.1f} %",
              flush=True)  # fmt: skip
    median, cv = statistics.median(rates), compare.cv_pct(rates)
    print(f"median {median:,.0f} ops/s, CV {cv:.1f} % over {args.windows} x {args.seconds:g} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
