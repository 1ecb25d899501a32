"""The load-balancer and Redis-shard sections as summary.md shows them (tiers.md.j2)."""

from collections.abc import Callable

from reports import tiers


def context(data: dict, human: Callable, cell: Callable) -> dict:
    """Formatted rows (empty lists hide a section); `human` and `cell` are render's own."""
    shown = tiers.summary(data)
    ratio = {
        key: "—" if shown[key] is None else f"{shown[key]:.2f}"
        for key in ("backend_evenness", "key_evenness", "ops_evenness")
    }
    return {
        **ratio,
        "backends": [
            {
                "name": cell(b["name"]),
                "rps": human(b["requests_per_s"], "ops/s"),
                "share": human(b["share_percent"], "%"),
                "response_ms": human(b["response_ms"], ""),
                "errors": human(b["errors_5xx_per_s"], ""),
            }
            for b in shown["backends"]
        ],
        "balancers": [
            {
                "host": cell(b["host"]),
                "cpu": human(b.get("cpu_percent"), "%"),
                "added_ms": human(b.get("added_ms"), ""),
            }
            for b in shown["balancers"]
        ],
        "shards": [
            {
                "name": cell(s["name"]),
                "ops": human(s.get("ops_per_s"), "ops/s"),
                "cpu": human(s.get("main_thread_cpu_percent"), "%"),
                "memory": human(s.get("used_memory_bytes"), "bytes"),
                "key_count": human(s.get("keys"), "ops/s"),
            }
            for s in shown["shards"]
        ],
    }
