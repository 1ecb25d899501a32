"""Helpers shared by the tests: skipping (loudly) when a system package is missing."""

import os
import shutil

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
