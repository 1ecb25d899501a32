"""Capacity search: add users step by step until an SLO gate breaks, record the last step that held.

Each step runs --capacity-step-time; its figures come from the later part of the step
(after --capacity-settle of it), so the ramp-up does not count. The gates are the SLO
options (--slo-p95-ms, --slo-p99-ms, --slo-fail-ratio). The result goes to
<csv prefix>_capacity.json after every step, so a cut-short search still leaves one.
"""

import json
import logging
import os
import time

from locust import LoadTestShape, events
from locust.stats import calculate_response_time_percentile
from locust.util.timespan import parse_timespan

from loadgen.plugins import outputs, slo
from loadgen.shapes import run_time_over

logger = logging.getLogger(__name__)
STEP_GATES = ("p95_ms", "p99_ms", "fail_ratio")


@events.init_command_line_parser.add_listener
def _arguments(parser) -> None:
    group = parser.add_argument_group("rig capacity search")
    for flag, kind, default, text in (
        ("--capacity-start-users", int, 10, "users of the first step"),
        ("--capacity-step-users", int, 10, "users added per step"),
        ("--capacity-max-users", int, 1000, "stop here even if no gate broke"),
        ("--capacity-step-time", str, "30s", "duration of each step"),
        ("--capacity-spawn-rate", float, 50.0, "users started per second"),
        ("--capacity-settle", float, 0.5, "fraction of a step left out of its figures"),
    ):
        env = "LOCUST_" + flag[2:].replace("-", "_").upper()
        group.add_argument(flag, type=kind, default=default, env_var=env, help=text)


def step_figures(before: dict, after: dict) -> dict:
    """Users, RPS, percentiles and fail ratio between two snapshots of the total stats."""
    requests = after["requests"] - before["requests"]
    failures = after["failures"] - before["failures"]
    seconds = max(after["at"] - before["at"], 1e-9)
    histogram = {
        ms: count - before["times"].get(ms, 0)
        for ms, count in after["times"].items()
        if count - before["times"].get(ms, 0) > 0
    }
    figures = {
        "requests": requests,
        "failures": failures,
        "seconds": round(seconds, 3),
        "rps": requests / seconds,
        "fail_ratio": failures / requests if requests else None,
        "p95_ms": None,
        "p99_ms": None,
    }
    if requests:
        figures["p95_ms"] = float(calculate_response_time_percentile(histogram, requests, 0.95))
        figures["p99_ms"] = float(calculate_response_time_percentile(histogram, requests, 0.99))
    return figures


class CapacityShape(LoadTestShape):
    """Steps of start, start+step, ... users; stops at the first step that misses a gate.

    --run-time, when given, ends the search early; --users and --spawn-rate do not apply.
    """

    use_common_options = True  # we read --run-time (Locust would not apply it to a shape)

    def __init__(self):
        super().__init__()
        self.settings = None
        self.steps: list[dict] = []
        self.index = -1
        self.snapshot = None
        self.finished = False

    def _configure(self) -> None:
        environment = self.runner.environment
        options = environment.parsed_options
        environment.loadgen_capacity_search = True
        self.settings = {
            "start_users": options.capacity_start_users,
            "step_users": options.capacity_step_users,
            "max_users": options.capacity_max_users,
            "step_seconds": float(parse_timespan(str(options.capacity_step_time))),
            "spawn_rate": options.capacity_spawn_rate,
            "settle": min(max(options.capacity_settle, 0.0), 0.9),
        }
        gates = {k: v for k, v in slo.thresholds(options).items() if k in STEP_GATES}
        self.gates = gates
        if not gates:
            logger.error("capacity search needs --slo-p95-ms, --slo-p99-ms or --slo-fail-ratio")
            environment.process_exit_code = 2
            self.finished = True

    def users_of(self, index: int) -> int:
        return self.settings["start_users"] + index * self.settings["step_users"]

    def _snapshot(self) -> dict:
        total = self.runner.stats.total
        return {
            "requests": total.num_requests,
            "failures": total.num_failures,
            "times": dict(total.response_times),
            "at": time.monotonic(),
        }

    def _close_step(self) -> bool:
        """Judge the step that just ended; True when it broke a gate."""
        if self.snapshot is None:
            return False
        figures = step_figures(self.snapshot, self._snapshot())
        gates = slo.evaluate(self.gates, figures)
        step = {"users": self.users_of(self.index), **figures}
        step["held"] = all(gate.passed for gate in gates)
        step["missed"] = [gate.name for gate in gates if not gate.passed]
        self.steps.append(step)
        logger.info(
            "capacity step %d users: %.0f rps, p95 %s ms, fail ratio %s -> %s",
            step["users"],
            step["rps"],
            step["p95_ms"],
            step["fail_ratio"],
            "held" if step["held"] else "broke " + ", ".join(step["missed"]),
        )
        return not step["held"]

    def _write(self, reason: str | None) -> None:
        held = [step for step in self.steps if step["held"]]
        broke = [step for step in self.steps if not step["held"]]
        result = {
            "finished": reason is not None,
            "reason": reason,
            "last_held": held[-1] if held else None,
            "broke": broke[0] if broke else None,
            "gates": self.gates,
            "settings": self.settings,
            "steps": self.steps,
        }
        prefix = outputs.csv_prefix(self.runner.environment)
        if prefix:
            path = f"{prefix}_capacity.json"
            if directory := os.path.dirname(path):
                os.makedirs(directory, exist_ok=True)
            with open(path, "w", encoding="utf-8") as file:
                json.dump(result, file, indent=2)
        if reason:
            last = result["last_held"]
            logger.info(
                "capacity search done (%s); last step that held: %s",
                reason,
                f"{last['users']} users, {last['rps']:.0f} rps, p95 {last['p95_ms']} ms"
                if last
                else "none",
            )

    def tick(self):
        if self.settings is None:
            self._configure()
        if self.finished:
            return None
        step_seconds = self.settings["step_seconds"]
        elapsed = self.get_run_time()
        if run_time_over(self.runner.environment.parsed_options, elapsed):
            return self._finish("reached --run-time before a gate broke")
        index = int(elapsed // step_seconds)
        if index != self.index:
            if self.index >= 0:
                broke = self._close_step()
                if broke:
                    return self._finish("a gate broke")
            if self.users_of(index) > self.settings["max_users"]:
                return self._finish("reached --capacity-max-users without breaking a gate")
            self.index, self.snapshot = index, None
            self._write(None)
        if self.snapshot is None and elapsed - index * step_seconds >= (
            self.settings["settle"] * step_seconds
        ):
            self.snapshot = self._snapshot()
        return self.users_of(index), self.settings["spawn_rate"]

    def _finish(self, reason: str):
        self.finished = True
        self._write(reason)
        return None
