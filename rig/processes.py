"""Starting and stopping child servers so none outlives the rig (process groups, bounded waits)."""

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

# Started by spawn() and not yet stopped, by pid: what owned() stops if its owner never could.
_running: dict[int, subprocess.Popen] = {}


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
        # A stop signal between the fork and the bookkeeping would leave a child nobody knows.
        with _signals_deferred():
            process = subprocess.Popen(
                list(argv),
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            _running[process.pid] = process
        return process
    finally:
        if log_path:
            output.close()


def stop(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGTERM the whole group, then SIGKILL what is left after `timeout`."""
    _running.pop(process.pid, None)
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


@contextlib.contextmanager
def owned() -> Iterator[None]:
    """Stop on the way out every child spawned inside and not stopped by its owner.

    A stop signal that lands after spawn() returned and before the caller kept the Popen
    (`self.worker = spawn(...)`) leaves a child no `finally:` knows; this is its net, spread by
    `rig.signals.interrupt_on_signals()` over every command that stops on a signal.
    """
    before = set(_running)
    try:
        yield
    finally:
        for pid in set(_running) - before:  # a copy made in one step: other threads may spawn
            process = _running.get(pid)  # or stop meanwhile
            if process is not None:
                stop(process)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold back the stop signals that Python handles (KeyboardInterrupt) until the block ends.

    Signals left to the system (default, ignored) are not touched, so children still inherit
    them as before; Python's handlers only run in the main thread, so nothing to do elsewhere.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        handler = signal.getsignal(signum)
        if callable(handler):
            previous[signum] = signal.signal(signum, lambda number, _frame: held.append(number))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if held:
            previous[held[0]](held[0], None)  # KeyboardInterrupt, now that the child is known
