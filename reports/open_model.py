"""Open-model runs: the target arrival rate against the rate achieved, and what a shortfall means.

With a fixed arrival rate, users that fall behind their pacing send fewer requests than
asked; the requests that were never sent would have waited the longest, so the latencies
measured are too low (coordinated omission). Below 97 % of the target the run says so.
"""

from reports.run_dir import Run

MIN_ACHIEVED = 0.97


def target_rate(run: Run) -> float | None:
    """run.json's config.arrival_rate (requests per second), None for a closed-model run."""
    try:
        rate = float((run.info.get("config") or {}).get("arrival_rate") or 0)
    except (TypeError, ValueError):
        return None
    return rate if rate > 0 and rate != float("inf") else None


def _number(row: dict, column: str) -> float | None:
    try:
        return float(row[column])
    except (KeyError, TypeError, ValueError):
        return None


def achieved_rate(run: Run, fallback: float | None) -> float | None:
    """Requests per second once every user was running: between the first and the last
    change of the request count while the user count was at its peak. The ramp-up is left
    out, or every run would fall short by its spawn time; so are the rows before the workers'
    first report and after the users stopped (workers report every few seconds: counting
    those rows would understate a short run's rate by seconds of silence). `fallback`
    (Locust's whole-run RPS) without a usable history."""
    rows = [r for r in run.history if r.get("Name") == "Aggregated"]
    users = [_number(r, "User Count") or 0.0 for r in rows]
    if not rows or max(users) <= 0:
        return fallback
    counts = [_number(r, "Total Request Count") for r in rows]
    peak = [i for i, u in enumerate(users) if u == max(users)]
    changed = [i for i in peak if i > 0 and None not in (counts[i], counts[i - 1])
               and counts[i] != counts[i - 1]]  # fmt: skip
    if len(changed) < 2:
        return fallback
    first, last = changed[0], changed[-1]
    t0, t1 = _number(rows[first], "Timestamp"), _number(rows[last], "Timestamp")
    if None in (t0, t1) or t1 - t0 < 5:
        return fallback
    return (counts[last] - counts[first]) / (t1 - t0)


def summary(run: Run, figures: dict) -> tuple[str | None, str | None]:
    """(the summary's "target vs achieved" line, a SUSPECT reason or None); (None, None) for
    a closed-model run."""
    target = target_rate(run)
    if target is None:
        return None, None
    achieved = achieved_rate(run, figures.get("rps"))
    if achieved is None:
        return f"target {target:,.1f} req/s, achieved unknown", None
    share = achieved / target
    line = f"target {target:,.1f} req/s, achieved {achieved:,.1f} req/s ({share:.1%})"
    if share >= MIN_ACHIEVED:
        return line, None
    reason = (
        f"the achieved arrival rate {achieved:,.1f} req/s is {share:.1%} of the target "
        f"{target:,.1f} req/s (below {MIN_ACHIEVED:.0%}): the requests not sent would have "
        "waited longest, so the latencies are understated (coordinated omission)"
    )
    return line, reason
