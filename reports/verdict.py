"""Verdicts of a run: PASS/FAIL from the SLO gates, VALID/SUSPECT from how far to trust it."""

from reports.run_dir import SLO_FILES, Run
from rundir.outcome import saturation_threshold

MAX_FAIL_RATIO = 0.01  # more failures than this: the figures measure errors, not the service
MIN_REQUESTS = 1000  # fewer requests than this: percentiles are too coarse to compare


def slo_verdict(run: Run) -> tuple[str, list[str]]:
    """("PASS" | "FAIL" | "n/a", gate lines) from the SLO plugin's JSON in the run directory."""
    data = run.slo
    if not data:
        return "n/a", [f"SLO: no verdict file ({' or '.join(SLO_FILES)}) in the run directory"]
    passed = data.get("passed")
    if not data.get("gates"):
        return "n/a", ["SLO: the scenario sets no gates"]
    lines = []
    for gate in data.get("gates") or []:
        mark = "pass" if gate.get("passed") else "FAIL"
        name = gate.get("name") or "gate"
        detail = _gate_detail(gate)
        lines.append(f"SLO gate {name}: {detail + ', ' if detail else ''}{mark}")
    if passed is None:
        return "n/a", [*lines, "SLO: the verdict file says neither pass nor fail"]
    return ("PASS" if passed else "FAIL"), lines


def _gate_detail(gate: dict) -> str:
    value = gate.get("measured", gate.get("value"))
    if "threshold" not in gate:
        return ""
    unit = f" {gate['unit']}" if gate.get("unit") else ""
    shown = "not measured" if value is None else f"{value:g}{unit}"
    return f"{shown} (limit {gate['threshold']:g}{unit})"


def validity(
    run: Run, figures: dict, busiest_worker_cpu: float | None = None
) -> tuple[str, list[str]]:
    """("VALID" | "SUSPECT", reasons): saturated load generator, failures, too few requests."""
    reasons = [str(line) for line in run.info.get("incidents") or []]
    requests = figures.get("requests") or 0
    if requests < MIN_REQUESTS:
        reasons.append(f"only {requests:.0f} requests (fewer than {MIN_REQUESTS})")
    ratio = figures.get("fail_ratio")
    if ratio is not None and ratio > MAX_FAIL_RATIO:
        reasons.append(f"{ratio * 100:.2f} % of requests failed (more than {MAX_FAIL_RATIO:.0%})")
    guard = (run.slo or {}).get("load_generator") or {}
    limit = saturation_threshold(run.slo)  # the guard's own limit, as its verdict file says
    if guard.get("flagged"):
        busy = ", ".join(sorted(guard.get("saturated") or {})) or "a worker"
        reasons.append(f"the load generator was saturated ({busy} above its CPU limit)")
    elif busiest_worker_cpu is not None and busiest_worker_cpu >= limit:
        reasons.append(
            f"the busiest Locust worker averaged {busiest_worker_cpu:.0f} % CPU (limit "
            f"{limit:g} %): the load generator may have been the bottleneck"
        )
    return ("SUSPECT" if reasons else "VALID"), reasons
