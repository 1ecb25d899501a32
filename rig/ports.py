"""Free TCP ports and readiness probes for servers the rig starts itself."""

import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable

# Ports this process has handed out. A port is free only until its server binds it, and a
# bench picks several before it starts their servers (Locust's exporter is started last, after
# Redis, the API and the monitoring): the kernel may offer a closed port again, and two servers
# were then told the same one ("Address already in use"). So no port is handed out twice.
_handed_out: set[int] = set()
_handed_out_lock = threading.Lock()
_ATTEMPTS = 100


def free_port(host: str = "127.0.0.1") -> int:
    """A port that nothing listens on right now (the kernel picks it) and that this process
    has not handed out before."""
    for _ in range(_ATTEMPTS):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port = sock.getsockname()[1]
        with _handed_out_lock:
            if port not in _handed_out:
                _handed_out.add(port)
                return port
    raise OSError(f"no free TCP port on {host} in {_ATTEMPTS} attempts")


def port_is_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def http_ok(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError):
        return False


def wait_until(
    probe: Callable[[], bool],
    timeout: float,
    what: str,
    alive: Callable[[], bool] | None = None,
    interval: float = 0.05,
) -> None:
    """Poll `probe` until it holds; fail early when `alive` says the process died.

    Raises TimeoutError naming `what`, so a caller can say which server never came up.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        if alive is not None and not alive():
            raise RuntimeError(f"{what} exited before it was ready")
        time.sleep(interval)
    raise TimeoutError(f"{what} was not ready after {timeout:.0f} s")
