"""Ranking sweep points by an objective and picking the recommended one (pure functions).

Only points whose run was VALID and did not fail its SLO may be recommended: a SUSPECT run
(saturated load generator, failures, too few requests, a server that died) measured
something other than the setting. Under a fixed arrival rate, a point that fell below 97 %
of its target is out too: its latencies leave out the requests it never sent.
"""

from dataclasses import dataclass

from reports.open_model import MIN_ACHIEVED

# objective -> (figure, what it is, unit); higher is better for both.
OBJECTIVES = {
    "throughput": ("rps", "the highest throughput", "req/s"),
    "efficiency": ("requests_per_api_cpu_s", "the most requests per API CPU-second", "req/CPU-s"),
}


@dataclass
class Recommendation:
    row: dict | None
    reason: str


def rank(rows: list[dict], objective: str) -> list[dict]:
    """Best first; points without the figure last, in their original order."""
    key = OBJECTIVES[objective][0]
    return sorted(rows, key=lambda r: (r.get(key) is None, -(r.get(key) or 0.0)))


def eligible(row: dict) -> str | None:
    """Why a point may not be recommended, or None when it may."""
    if row.get("arrival_short"):
        return (
            f"below {MIN_ACHIEVED:.0%} of its target arrival rate: latencies understated "
            "(coordinated omission)"
        )
    if row.get("validity") != "VALID":
        return f"run {row.get('validity') or 'not measured'}"
    if row.get("slo") == "FAIL":
        return "missed its SLO"
    return None


def recommend(rows: list[dict], objective: str, target_rps: float | None = None) -> Recommendation:
    key, what, unit = OBJECTIVES[objective]
    candidates = [r for r in rows if eligible(r) is None and r.get(key) is not None]
    excluded = len(rows) - len(candidates)
    scope = "VALID points that met their SLO"
    if target_rps is not None:
        candidates = [r for r in candidates if (r.get("rps") or 0) >= target_rps]
        scope += f" and reached {target_rps:,.0f} req/s"
    if not candidates:
        return Recommendation(
            None, f"no point qualifies: none of the {len(rows)} is one of the {scope}"
        )
    ranked = rank(candidates, objective)
    best = ranked[0]
    reason = f"{what} ({best[key]:,.0f} {unit}) of the {len(candidates)} {scope}"
    if len(ranked) > 1 and ranked[1].get(key):
        reason += f"; {best[key] / ranked[1][key]:.2f}x the runner-up, {ranked[1]['label']}"
    if excluded:
        reason += (
            f"; {excluded} point(s) excluded (SUSPECT, SLO missed, arrival rate short "
            "or not measured)"
        )
    return Recommendation(best, reason)
