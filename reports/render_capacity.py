"""The capacity answer as summary.md shows it: held, broken and knee steps, all steps, load."""

from reports.capacity import Capacity, Step

GATE_TEXT = {
    "p95_ms": "p95 ≤ {:g} ms",
    "p99_ms": "p99 ≤ {:g} ms",
    "fail_ratio": "fail ratio ≤ {:g}",
}
ANSWER_ROWS = ("Last step that held", "First step that broke", "Knee (throughput stops growing)")


def step_cells(step: Step) -> list[str]:
    """Users, RPS, p95, p99, failures: the figures of one step as its table row shows them."""
    ratio = step.fail_ratio
    failures = f"{step.failures:.0f}" + ("" if ratio is None else f" ({ratio * 100:.2f} %)")
    return [
        str(step.users),
        f"{step.rps:,.1f}",
        "—" if step.p95_ms is None else f"{step.p95_ms:g}",
        "—" if step.p99_ms is None else f"{step.p99_ms:g}",
        failures,
    ]


def verdict(step: Step) -> str:
    if step.held is None:
        return "—"
    return "held" if step.held else "broke " + ", ".join(step.missed)


def _answer(step: Step | None, absent: str) -> list[str]:
    return step_cells(step) if step else [absent, "", "", "", ""]


def gates_text(gates: dict[str, float]) -> str:
    parts = [GATE_TEXT[name].format(value) for name, value in gates.items() if name in GATE_TEXT]
    return ", ".join(parts) or "none set (the steps are not judged)"


def load_text(capacity: Capacity) -> str:
    """What the load did, for the header's load row of a run whose shape sets the users."""
    s = capacity.settings
    if capacity.kind == "capacity search" and s:
        return (
            f"capacity search: {s.get('start_users')} users, +{s.get('step_users')} every "
            f"{s.get('step_seconds', 0):g} s up to {s.get('max_users')} "
            f"(spawn rate {s.get('spawn_rate', 0):g} per s)"
        )
    return f"{capacity.kind}: " + ", ".join(f"{step.users}" for step in capacity.steps) + " users"


def context(capacity: Capacity | None) -> dict | None:
    if capacity is None:
        return None
    none_broke = "none" + (f" ({capacity.reason})" if capacity.reason else "")
    if not capacity.gates:
        none_broke = "— (no gates)"
    return {
        "kind": capacity.kind,
        "source": capacity.source,
        "gates": gates_text(capacity.gates),
        "reason": capacity.reason or "",
        "answer": [
            [ANSWER_ROWS[0], *_answer(capacity.last_held, "none" if capacity.gates else "—")],
            [ANSWER_ROWS[1], *_answer(capacity.first_broke, none_broke)],
            [ANSWER_ROWS[2], *_answer(capacity.knee, "none")],
        ],
        "knee_note": capacity.knee_note,
        "steps": [[*step_cells(step), verdict(step)] for step in capacity.steps],
    }
