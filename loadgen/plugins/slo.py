"""SLO gates: --slo-p95-ms, --slo-p99-ms, --slo-fail-ratio, --slo-min-rps.

At the end of a run the master (or the single process) measures each gate on the whole
run, writes the verdict beside the CSVs (<csv prefix>_slo.json, or --slo-file) and makes
the exit code SLO_FAILED_EXIT (rundir.outcome) when a gate is missed. The saturation
guard's findings and the per-worker request counts go into the same file.
"""

import json
import logging
import os
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from locust import events
from locust.runners import WorkerRunner

from loadgen.plugins import outputs, saturation
from rundir.outcome import SLO_FAILED_EXIT

logger = logging.getLogger(__name__)
# option name -> (gate name, unit, higher_is_better)
GATES = {
    "slo_p95_ms": ("p95_ms", "ms", False),
    "slo_p99_ms": ("p99_ms", "ms", False),
    "slo_fail_ratio": ("fail_ratio", "ratio", False),
    "slo_min_rps": ("rps", "requests/s", True),
}


@events.init_command_line_parser.add_listener
def _arguments(parser) -> None:
    group = parser.add_argument_group("rig SLO gates", "Missed gates make the exit code 3")
    for option, (gate, unit, higher) in GATES.items():
        flag = "--" + option.replace("_", "-")
        bound = "at least" if higher else "at most"
        group.add_argument(
            flag,
            type=float,
            default=None,
            env_var="LOCUST_" + option.upper(),
            help=f"the whole run's {gate} must be {bound} this ({unit})",
        )
    group.add_argument(
        "--slo-file",
        default="",
        env_var="LOCUST_SLO_FILE",
        help="where to write the verdict (default: <csv prefix>_slo.json beside the CSVs)",
    )


@dataclass
class Gate:
    name: str
    threshold: float
    measured: float | None
    unit: str
    passed: bool


def measure(stats_total) -> dict[str, float | None]:
    """The gated figures of a StatsEntry (Locust's own numbers, so they match its report)."""
    if stats_total.num_requests == 0:
        return {"p95_ms": None, "p99_ms": None, "fail_ratio": None, "rps": 0.0}
    return {
        "p95_ms": float(stats_total.get_response_time_percentile(0.95)),
        "p99_ms": float(stats_total.get_response_time_percentile(0.99)),
        "fail_ratio": float(stats_total.fail_ratio),
        "rps": float(stats_total.total_rps),
    }


def thresholds(options) -> dict[str, float]:
    """The gates that were set: gate name -> threshold."""
    chosen = {}
    for option, (gate, _unit, _higher) in GATES.items():
        value = getattr(options, option, None) if options is not None else None
        if value is not None:
            chosen[gate] = float(value)
    return chosen


def evaluate(limits: dict[str, float], measured: dict[str, float | None]) -> list[Gate]:
    """Each gate with its verdict; a figure that could not be measured misses its gate."""
    gates = []
    units = {gate: (unit, higher) for gate, unit, higher in GATES.values()}
    for name, threshold in limits.items():
        unit, higher = units[name]
        value = measured.get(name)
        passed = value is not None and (value >= threshold if higher else value <= threshold)
        gates.append(Gate(name, threshold, value, unit, passed))
    return gates


def verdict_path(environment) -> str | None:
    options = environment.parsed_options
    if getattr(options, "slo_file", ""):
        return options.slo_file
    prefix = outputs.csv_prefix(environment)
    return f"{prefix}_slo.json" if prefix else None


@events.quitting.add_listener
def _judge(environment, **_kwargs) -> None:
    runner = environment.runner
    if runner is None or isinstance(runner, WorkerRunner):
        return
    outputs.finalize(environment)
    options = environment.parsed_options
    measured = measure(runner.stats.total)
    gates = evaluate(thresholds(options), measured)
    passed = all(gate.passed for gate in gates)
    # A capacity search breaks a gate on purpose; its shape records the result itself.
    enforced = not getattr(environment, "loadgen_capacity_search", False)
    guard = saturation.guard_of(environment)
    verdict = {
        "passed": passed,
        "enforced": enforced,
        "gates": [asdict(gate) for gate in gates],
        "measured": measured,
        "requests": runner.stats.total.num_requests,
        "failures": runner.stats.total.num_failures,
        # Workers have disconnected by now: count those that took part.
        "workers": len(guard.workers()) if guard else 0,
        "load_generator": guard.report() if guard else None,
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    for gate in gates:
        if not gate.passed:
            print(
                f"SLO gate missed: {gate.name} measured {gate.measured} {gate.unit}, "
                f"threshold {gate.threshold:g}",
                file=sys.stderr,
            )
    path = verdict_path(environment)
    if path:
        if directory := os.path.dirname(path):
            os.makedirs(directory, exist_ok=True)
        with open(path, "w", encoding="utf-8") as file:
            json.dump(verdict, file, indent=2)
    if gates and not passed and enforced:
        environment.process_exit_code = SLO_FAILED_EXIT
