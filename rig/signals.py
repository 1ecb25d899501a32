"""Stopping a long-running `rig` command the same way on Ctrl-C, SIGTERM and SIGHUP.

systemd, a CI runner or a closed terminal send SIGTERM or SIGHUP instead of SIGINT; Python
would then die at once and leave the command's children (Redis, Gunicorn, Locust) running.
Inside `interrupt_on_signals()` both raise KeyboardInterrupt, so the command's own cleanup
(`finally:` blocks that stop its children) runs as on Ctrl-C, and on the way out any child
spawned inside that its owner never got to keep is stopped too (`processes.owned()`): a signal
can land between a child's start and the line that keeps its Popen.

SIGINT too is taken in hand there: a command started as a background job of a script
(`rig redis &`) or under nohup inherits SIGINT ignored, and Python then keeps ignoring it, so a
`kill -INT` would never stop the command.
"""

import contextlib
import signal
from collections.abc import Iterator

from rig import processes

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


@contextlib.contextmanager
def interrupt_on_signals() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP raise KeyboardInterrupt in the main thread while inside; every
    child spawned inside and still running on the way out is stopped."""
    previous = {signum: signal.signal(signum, _interrupt) for signum in STOP_SIGNALS}
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with processes.owned():
            yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
