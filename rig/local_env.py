"""The environment fingerprint of a run on this box: versions, kernel, CPU, git revision."""

import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path

import redis

from reports.render import module_version
from rig.paths import REPO_ROOT


def git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{rev}-dirty" if dirty else rev


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def versions(redis_url: str) -> dict:
    """The environment fingerprint of this box and its Redis."""
    found = {
        "python": platform.python_version(),
        "locust": _version("locust"),
        "gunicorn": _version("gunicorn"),
        "granian": _version("granian"),
        "flask": _version("flask"),
        "kernel": platform.release(),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
    }
    try:
        client = redis.Redis.from_url(redis_url, socket_timeout=2)
        info = client.info("server")
        server = "valkey" if "valkey_version" in info else "redis"
        found["redis"] = f"{server} {info.get(f'{server}_version', info.get('redis_version'))}"
        for module in client.execute_command("MODULE", "LIST"):
            entry = module
            if not isinstance(module, dict):  # RESP2: a flat [name, value, ...] list
                entry = dict(zip(module[::2], module[1::2], strict=True))
            name = entry.get(b"name", entry.get("name", b""))
            name = name.decode() if isinstance(name, bytes) else str(name)
            if name.lower() == "rejson":
                found["redisjson"] = module_version(entry.get(b"ver", entry.get("ver")))
        client.close()
    except redis.RedisError as exc:
        found["redis"] = f"unknown ({exc.__class__.__name__})"
    return found
