"""Helpers shared by the tests: skipping (loudly) when a system package is missing; the API
server's worker processes."""

import os
import shutil

import psutil
import pytest


def require_root(why: str) -> None:
    if os.geteuid() != 0:
        pytest.skip(f"needs root: {why}")


def require_binary(name: str, package: str) -> str:
    """Path of `name`, or a skip that says which Debian package brings it."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not installed (apt-get install {package})")
    return path


def server_workers(pid: int) -> list[psutil.Process]:
    """The workers of the API server `pid`, not multiprocessing's resource tracker that Granian's
    launcher starts beside a spawned (respawned) worker."""
    children = psutil.Process(pid).children()
    return [p for p in children if "resource_tracker" not in " ".join(p.cmdline())]
