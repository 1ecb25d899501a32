"""Stopping a long-running `rig` command the same way on Ctrl-C, SIGTERM and SIGHUP.

systemd, a CI runner or a closed terminal send SIGTERM or SIGHUP instead of SIGINT; Python
would then die at once and leave the command's children (Redis, Gunicorn, Locust) running.
Inside `interrupt_on_signals()` both raise KeyboardInterrupt, so the command's own cleanup
(`finally:` blocks that stop its children) runs as on Ctrl-C.
"""

import contextlib
import signal
from collections.abc import Iterator

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


@contextlib.contextmanager
def interrupt_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP raise KeyboardInterrupt in the main thread while inside."""
    previous = {signum: signal.signal(signum, _interrupt) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
