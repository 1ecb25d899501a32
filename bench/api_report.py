"""The figures of api_throughput.py: medians per configuration and ratios to the baseline."""

import statistics

import orjson


def report(results, raw, chosen, args) -> None:
    med = statistics.median
    summary: dict[str, dict] = {}
    for config in args.configs:
        print(f"\n{config.label}, {args.workers} worker(s), wrk -c{args.connections}; "
              f"medians of {args.repeat} runs")  # fmt: skip
        print(f"{'endpoint':20} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'req/API-CPU-s':>14} "
              f"{'Redis ops/s':>12} {'API/Redis':>9} {'errors':>6}")  # fmt: skip
        for endpoint in chosen:
            runs = results[(config.label, endpoint.name)]
            row = {
                "rps": med(r["rps"] for r in runs),
                "p50_ms": med(r["p50_ms"] for r in runs),
                "p99_ms": med(r["p99_ms"] for r in runs),
                "per_api_cpu_s": med(r["per_api_cpu_s"] for r in runs),
                "redis_ops_s": med(raw[endpoint.name]) if raw else float("nan"),
                "errors": sum(r["non_2xx"] for r in runs),
            }
            row["ratio"] = row["rps"] / row["redis_ops_s"]
            summary[f"{config.label}/{endpoint.name}"] = {**row, "runs": runs}
            print(f"{endpoint.name:20} {row['rps']:8.0f} {row['p50_ms']:7.1f} {row['p99_ms']:7.1f} "
                  f"{row['per_api_cpu_s']:14.0f} {row['redis_ops_s']:12.0f} {row['ratio']:9.3f} "
                  f"{row['errors']:6d}")  # fmt: skip
    base = args.configs[0].label
    # Run i of every configuration ran within seconds of run i of the baseline: the median of
    # those pairs' ratios is steadier than a ratio of medians on a VM whose speed drifts.
    print(f"\nratios to {base} (medians of the {args.repeat} paired runs' ratios): requests "
          "per API CPU-second, req/s, p99")  # fmt: skip
    for config in args.configs[1:]:
        for endpoint in chosen:
            pairs = list(zip(results[(base, endpoint.name)],
                             results[(config.label, endpoint.name)], strict=True))  # fmt: skip
            ratio = {key: med(b[key] / a[key] for a, b in pairs)
                     for key in ("per_api_cpu_s", "rps", "p99_ms")}  # fmt: skip
            print(f"{config.label:18} {endpoint.name:20} x{ratio['per_api_cpu_s']:5.2f} per CPU-s"
                  f"  x{ratio['rps']:5.2f} req/s  x{ratio['p99_ms']:5.2f} p99")  # fmt: skip
    if args.json:
        args.json.write_text(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())


def half_load_table(half: dict, args) -> None:
    """p99 at half of the best configuration's throughput, per endpoint (medians)."""
    if not half:
        return
    med = statistics.median
    print(f"\nat half of the fastest configuration's throughput; medians of {args.repeat} runs")
    print(f"{'endpoint':20} {'configuration':18} {'target':>7} {'req/s':>7} {'p50 ms':>7} "
          f"{'p99 ms':>7}")  # fmt: skip
    for name, entry in half.items():
        runs = entry["runs"]
        print(f"{name:20} {entry['config']:18} {entry['target_rps']:7.0f} "
              f"{med(r['rps'] for r in runs):7.0f} {med(r['p50_ms'] for r in runs):7.2f} "
              f"{med(r['p99_ms'] for r in runs):7.2f}")  # fmt: skip
