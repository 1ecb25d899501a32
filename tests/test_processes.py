"""rig.processes: no child outlives the rig, even when the stop signal lands while it starts."""

import contextlib
import random
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil

from rig import processes

# Runs in its own interpreter so its signal handlers are its own. Each round starts children
# as fast as it can until a SIGTERM from a timer lands at a random moment: inside Popen, between
# spawn() returning and the caller keeping the object, or while the caller sleeps.
RACE = textwrap.dedent(
    """
    import contextlib, os, random, signal, sys, threading
    from rig import processes
    from rig.signals import interrupt_on_signals

    marker, rounds = sys.argv[1], int(sys.argv[2])
    for _ in range(rounds):
        kept = []
        timer = threading.Timer(random.uniform(0, 0.02), os.kill, (os.getpid(), signal.SIGTERM))
        with contextlib.suppress(KeyboardInterrupt):
            with interrupt_on_signals():  # which stops what the owner never kept
                timer.start()
                try:
                    for _ in range(1000):
                        kept.append(processes.spawn(["sleep", marker]))
                finally:
                    for process in kept:  # the owner stops what it knows of
                        processes.stop(process, timeout=1)
        timer.join()
    print(f"{rounds} rounds")
    """
)


def _alive(argv: list[str]) -> list[int]:
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        if proc.info["cmdline"] == argv and proc.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(proc.pid)
    return found


def _kill(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            psutil.Process(pid).kill()


def test_a_stop_signal_at_any_moment_of_a_start_leaves_no_child_running():
    marker = f"{3600 + random.random():.6f}"  # only this test's children sleep this long
    try:
        done = subprocess.run(
            [sys.executable, "-c", RACE, marker, "60"], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0 and "60 rounds" in done.stdout, done.stderr
        assert "Traceback" not in done.stderr
        leaked = _alive(["sleep", marker])
        assert leaked == []
    finally:
        _kill(_alive(["sleep", marker]))


def test_owned_stops_only_the_children_started_inside_and_not_stopped():
    before = processes.spawn(["sleep", "300"])
    try:
        with processes.owned():
            dropped = processes.spawn(["sleep", "301"]).pid  # its Popen is lost at once
            stopped = processes.spawn(["sleep", "302"])
            processes.stop(stopped)
            assert psutil.pid_exists(dropped)
        assert not _running_pid(dropped)
        assert before.poll() is None  # started outside: its owner stops it
    finally:
        processes.stop(before)
    assert before.poll() is not None


def test_owned_stops_its_children_when_an_exception_leaves_it():
    try:
        with processes.owned():
            pid = processes.spawn(["sleep", "303"]).pid
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    assert not _running_pid(pid)


def test_children_inherit_the_signals_the_rig_ignores_and_handlers_come_back():
    # nohup: SIGHUP ignored, and the children keep ignoring it as they always did.
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    term = signal.getsignal(signal.SIGTERM)
    try:
        child = processes.spawn(["sleep", "304"])
        try:
            ignored = _ignored_mask(child.pid)
            assert ignored & (1 << (signal.SIGHUP - 1))
            assert not ignored & (1 << (signal.SIGTERM - 1))
        finally:
            processes.stop(child)
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) == term
    finally:
        signal.signal(signal.SIGHUP, previous)


def _running_pid(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _ignored_mask(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^SigIgn:\s*([0-9a-f]+)", status, re.M).group(1), 16)
