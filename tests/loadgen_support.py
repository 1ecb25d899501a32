"""Helpers for the loadgen tests: run real Locust processes and read what they wrote."""

import csv
import json
import os
import subprocess
from pathlib import Path

from rig import processes
from rig.paths import REPO_ROOT


def locust_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("LOCUST_SKIP_MONKEY_PATCH", None)  # real Locust runs need gevent's patching
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


def start(argv: list[str], log: Path, cwd: Path) -> subprocess.Popen:
    return processes.spawn(argv, env=locust_env(), log_path=log, cwd=cwd)


def finish(process: subprocess.Popen, log: Path, timeout: float = 120) -> int:
    """Wait for a bounded run; a run that overstays is killed and the test fails with its log."""
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        processes.stop(process)
        raise AssertionError(f"locust ran over {timeout} s:\n{tail(log)}") from None


def run(argv: list[str], log: Path, cwd: Path, timeout: float = 120) -> int:
    return finish(start(argv, log, cwd), log, timeout)


def tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


def stats_rows(run_dir: Path) -> dict[tuple[str, str], dict]:
    """locust_stats.csv as {(method, name): row}; the total row is ("", "Aggregated")."""
    with open(run_dir / "locust_stats.csv", newline="") as file:
        return {(row["Type"], row["Name"]): row for row in csv.DictReader(file)}


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())
