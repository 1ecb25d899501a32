"""Driving a lab-in-a-box from the `lab` tests: `rig lab`, SSH into hosts, ansible-playbook and
its PLAY RECAP, polling. One lab per checkout and test module (its name hashes the checkout's
path), so a CI clone and a developer's checkout can run the tests side by side.
"""

import hashlib
import json
import os
import re
import shutil
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


# Durations of the lab's steps ("rig lab up", "first site.yml", ...), printed at the end of
# the test session (tests/conftest.py), so every CI log carries the lab timings.
TIMINGS: dict[str, float] = {}


def timed(step: str, seconds: float) -> float:
    TIMINGS[step] = seconds
    return seconds


def assert_nothing_changed(result: subprocess.CompletedProcess, hosts) -> None:
    """A converged play: it passed and changed nothing on any of `hosts` (the changed tasks
    are the message)."""
    assert result.returncode == 0, tail(result)
    changed = {name: h["changed"] for name, h in recap(result.stdout).items()}
    assert changed == dict.fromkeys(hosts, 0), "\n".join(changed_tasks(result.stdout))


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
        self,
        playbook: str = "site.yml",
        extra: dict | None = None,
        timeout: float = 900,
        options: tuple[str, ...] = (),
        inventory: Path | None = None,
    ) -> tuple[subprocess.CompletedProcess, float]:
        env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"}
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
        inventory = inventory or self.config.inventory_dir
        argv = [str(BIN / "ansible-playbook"), "-i", str(inventory), playbook]
        argv += list(options)
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
    name: str,
    hosts: str,
    driver_class: type[LabDriver] = LabDriver,
    releases: str | None = None,
    **driver_options,
) -> Iterator[LabDriver]:
    """`rig lab up` (after removing what an interrupted run left), then always `rig lab down`."""
    require_root("lab-in-a-box creates bridges, namespaces, mounts and iptables rules")
    require_binary("systemd-nspawn", "systemd-container")
    require_binary("debootstrap", "debootstrap")
    require_binary("iptables", "iptables")
    config = LabConfig.from_options(name=name, hosts=hosts, releases=releases)
    lab = driver_class(config, **driver_options)
    if lab.config.state_file.exists():
        lab.rig("down")
    started = time.monotonic()
    release_args = ["--release", releases] if releases else []
    up = lab.rig("up", "--hosts", hosts, *release_args, timeout=900)
    assert up.returncode == 0, up.stdout + up.stderr
    seconds = timed(f"rig lab up --hosts {hosts}", time.monotonic() - started)
    print(f"\nrig lab up: {seconds:.1f} s\n{up.stdout}")
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


# The one lab every lab test shares (session fixtures in conftest.py): the mixed lab of real
# labs, the app host on Debian 13 and the others on Debian 12, reached as the sudo user, with
# a management and a data network.
SHARED_LAB_NAME = lab_name("lab")
# lb and api2 join no inventory group here (the single-app configuration every lab test but the
# last sees); tests/test_lab_scaleout.py, run last, regroups them: a balancer, a second app host.
SHARED_HOSTS = ("app", "loadgen", "monitor", "lb", "api2")
SHARED_RELEASES = "app=trixie"
# What the app and locust roles deploy; a frozen copy keeps every site.yml run of the session
# on the same code while the working tree changes underneath.
SOURCE_PATHS = ("pyproject.toml", "app", "loadgen", "rundir")


@dataclass
class SharedLab(LabDriver):
    # Where benchmark.yml fetches runs and report.yml writes index.md.
    results: Path = Path()
    # (result, seconds) of the session's first site.yml run, on fresh hosts.
    first_site: tuple[subprocess.CompletedProcess, float] | None = None

    @property
    def prometheus(self) -> str:
        return f"http://{self.config.host('monitor').address}:9090"

    def data(self, host: str) -> str:
        return self.config.host(host).data_address

    def redis_password(self) -> str:
        import yaml

        inventory = yaml.safe_load(self.config.inventory_path.read_text())
        return inventory["all"]["vars"]["redis_password"]


def snapshot(destination: Path) -> Path:
    for name in SOURCE_PATHS:
        source = REPO_ROOT / name
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(source, destination / name, ignore=ignore)
        else:
            shutil.copy2(source, destination / name)
    return destination


@contextmanager
def open_shared_lab(tmp_path_factory) -> Iterator[SharedLab]:
    source = snapshot(tmp_path_factory.mktemp("checkout"))
    frozen_code = {"app_source_dir": str(source), "locust_source_dir": str(source)}
    with running_lab(
        SHARED_LAB_NAME,
        ",".join(SHARED_HOSTS),
        SharedLab,
        releases=SHARED_RELEASES,
        extra_vars=frozen_code,
        results=tmp_path_factory.mktemp("results"),
    ) as lab:
        yield lab
