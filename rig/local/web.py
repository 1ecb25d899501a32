"""`rig local --web`: the Locust master with its web UI; the run starts and stops in the browser.

The rig polls the UI's own /stats/requests to learn when users ran and when they stopped,
then ends Locust; the run's window is then the seconds in which users ran (rundir.history).
"""

import time
from dataclasses import dataclass

import requests

RUNNING_STATES = ("spawning", "running")
STOPPED_STATES = ("stopped",)
WEB_HOST = "127.0.0.1"


def web_flags(port: int) -> list[str]:
    """What replaces --headless on the master's command line: the UI on loopback only."""
    return ["--web-host", WEB_HOST, "--web-port", str(port)]


def url(port: int) -> str:
    return f"http://{WEB_HOST}:{port}"


@dataclass
class WebSession:
    """Where the run is, from the UI's point of view: not started, running, stopped."""

    port: int
    ran: bool = False  # users were seen running at least once
    stopped: bool = False  # and then the run was stopped (the UI's Stop, or its run time)
    users: int = 0
    state: str = "starting"

    def poll(self, timeout: float = 1.0) -> None:
        try:
            report = requests.get(url(self.port) + "/stats/requests", timeout=timeout).json()
        except (requests.RequestException, ValueError):
            return  # the UI is not up yet, or busy: ask again next time
        self.state = str(report.get("state", "unknown"))
        self.users = int(report.get("user_count") or 0)
        if self.state in RUNNING_STATES and self.users > 0:
            self.ran = True
        elif self.ran and self.state in STOPPED_STATES:
            self.stopped = True

    def line(self) -> str:
        return f"[web UI] {self.state}, users {self.users}"


def wait_until_stopped(session: WebSession, alive, deadline: float, tick=time.sleep) -> None:
    """Poll the UI until users ran and stopped, the master exited, or the deadline passed."""
    while alive() and not session.stopped and time.monotonic() < deadline:
        session.poll()
        tick(0.5)
