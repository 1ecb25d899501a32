"""Starting and stopping child servers so none outlives the rig (process groups, bounded waits)."""

import contextlib
import os
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path


def spawn(
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    log_path: Path | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen:
    """Start `argv` in its own process group, output to `log_path` (or discarded)."""
    output = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    try:
        return subprocess.Popen(
            list(argv),
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        if log_path:
            output.close()


def stop(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGTERM the whole group, then SIGKILL what is left after `timeout`."""
    if process.poll() is not None:
        _kill_group(process.pid, signal.SIGKILL)  # orphans of a dead leader
        return
    _kill_group(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process.pid, signal.SIGKILL)
        process.wait(5)
    _kill_group(process.pid, signal.SIGKILL)


def _kill_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
