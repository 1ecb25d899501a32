"""Driving a lab-in-a-box from the `lab` tests: `rig lab`, SSH into hosts, ansible-playbook and
its PLAY RECAP, polling. One lab per checkout and test module (its name hashes the checkout's
path), so a CI clone and a developer's checkout can run the tests side by side.
"""

import hashlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from rig.lab.config import LabConfig
from rig.paths import REPO_ROOT
from tests.support import require_binary, require_root

BIN = Path(sys.executable).parent
RECAP = re.compile(
    r"^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+"
    r"unreachable=(?P<unreachable>\d+)\s+failed=(?P<failed>\d+)",
    re.MULTILINE,
)


def lab_name(prefix: str) -> str:
    """`prefix` (3 letters) plus 5 hex digits of this checkout's path: 8 characters, as allowed."""
    return prefix + hashlib.sha1(str(REPO_ROOT).encode()).hexdigest()[:5]


@dataclass
class LabDriver:
    config: LabConfig
    # Extra variables for every playbook run (e.g. where the code to deploy comes from).
    extra_vars: dict = field(default_factory=dict)

    def rig(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        argv = [str(BIN / "rig"), "lab", args[0], "--name", self.config.name, *args[1:]]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)

    def ssh(self, host: str, command: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return self.rig("ssh", host, command, timeout=timeout)

    def playbook(
        self, playbook: str = "site.yml", extra: dict | None = None, timeout: float = 900
    ) -> tuple[subprocess.CompletedProcess, float]:
        env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"}
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
        argv = [str(BIN / "ansible-playbook"), "-i", str(self.config.inventory_dir), playbook]
        variables = {**self.extra_vars, **(extra or {})}
        if variables:
            argv += ["-e", json.dumps(variables)]
        started = time.monotonic()
        result = subprocess.run(
            argv, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, env=env
        )
        return result, time.monotonic() - started


@contextmanager
def running_lab(
    name: str, hosts: str, driver_class: type[LabDriver] = LabDriver, **driver_options
) -> Iterator[LabDriver]:
    """`rig lab up` (after removing what an interrupted run left), then always `rig lab down`."""
    require_root("lab-in-a-box creates bridges, namespaces, mounts and iptables rules")
    require_binary("systemd-nspawn", "systemd-container")
    require_binary("debootstrap", "debootstrap")
    require_binary("iptables", "iptables")
    lab = driver_class(LabConfig.from_options(name=name, hosts=hosts), **driver_options)
    if lab.config.state_file.exists():
        lab.rig("down")
    started = time.monotonic()
    up = lab.rig("up", "--hosts", hosts, timeout=600)
    assert up.returncode == 0, up.stdout + up.stderr
    print(f"\nrig lab up: {time.monotonic() - started:.1f} s\n{up.stdout}")
    try:
        yield lab
    finally:
        lab.rig("down")


def recap(output: str) -> dict[str, dict[str, int]]:
    return {
        m["host"]: {k: int(m[k]) for k in ("ok", "changed", "unreachable", "failed")}
        for m in RECAP.finditer(output)
    }


def changed_tasks(output: str) -> list[str]:
    """'TASK [name]: changed line' for every change a play reported: what was not idempotent."""
    found, task = [], ""
    for line in output.splitlines():
        if line.startswith("TASK ["):
            task = line.strip(" *")
        elif line.startswith("changed:"):
            found.append(f"{task}: {line}")
    return found


def tail(result: subprocess.CompletedProcess) -> str:
    return result.stdout[-8000:] + result.stderr[-3000:]


def poll(probe, timeout: float, what: str, interval: float = 1.0):
    """The first truthy value of `probe()`; a failed test when none comes within `timeout`."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        try:
            value = probe()
        except (OSError, urllib.error.URLError):
            value = None
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"{what} did not happen within {timeout:.0f} s (last: {value})")
