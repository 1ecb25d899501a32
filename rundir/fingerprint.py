"""The environment fingerprint of a run: versions, kernel, CPU, the rig's git revision."""

import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path

import redis

from rundir.errors import RigError

# The checkout this package was installed from (pip install -e): the rig that ran the load.
CHECKOUT = Path(__file__).resolve().parent.parent
PACKAGES = ("locust", "gunicorn", "granian", "flask")


def _git(checkout: Path, *args: str) -> str:
    # safe.directory: a checkout owned by another user (a CI runner, root in the lab) still
    # answers instead of "dubious ownership".
    argv = ["git", "-c", f"safe.directory={checkout}", "-C", str(checkout), *args]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=True)
    return result.stdout.strip()


def git_rev(checkout: Path = CHECKOUT) -> str:
    """The full commit hash, with -dirty when tracked files differ from it; "unknown" if none."""
    checkout = Path(checkout).resolve()
    try:
        rev = _git(checkout, "rev-parse", "--verify", "HEAD")
        dirty = _git(checkout, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{rev}-dirty" if dirty else rev


def module_version(value) -> str:
    """A Redis module's version as MODULE LIST gives it (20803) in dotted form (2.8.3).

    Modules encode major * 10000 + minor * 100 + patch; anything else is returned as is.
    """
    text = str(value).strip()
    if not text.isdigit():
        return text
    major, rest = divmod(int(text), 10000)
    return f"{major}.{rest // 100}.{rest % 100}"


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


def box_versions() -> dict:
    """This box: Python, the rig's packages (read from metadata, not imported), kernel, CPU."""
    found = {"python": platform.python_version()}
    found.update({name: _version(name) for name in PACKAGES})
    found.update(kernel=platform.release(), cpu_model=_cpu_model(), cpu_count=os.cpu_count())
    return found


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def redis_versions(redis_url: str) -> dict:
    """The server ("redis 7.0.15", "valkey 9.1.2") and its JSON module (2.8.3) at `redis_url`."""
    found = {}
    try:
        client = redis.Redis.from_url(redis_url, socket_timeout=2)
    except ValueError as exc:  # redis-py's message names the schemes, never the URL's secret
        raise RigError(f"the Redis URL is malformed: {exc}") from None
    try:
        info = client.info("server")
        server = "valkey" if "valkey_version" in info else "redis"
        found["redis"] = f"{server} {info.get(f'{server}_version', info.get('redis_version'))}"
        for module in client.execute_command("MODULE", "LIST"):
            entry = module
            if not isinstance(module, dict):  # RESP2: a flat [name, value, ...] list
                entry = dict(zip(module[::2], module[1::2], strict=True))
            entry = {_text(key): value for key, value in entry.items()}
            if _text(entry.get("name", "")).lower() == "rejson":
                found["redisjson"] = module_version(_text(entry.get("ver", "")))
    except redis.RedisError as exc:
        found["redis"] = f"unknown ({exc.__class__.__name__})"
    finally:
        client.close()
    return found


def versions(redis_url: str) -> dict:
    """The fingerprint of this box and of its Redis (`rig local`: everything on one box)."""
    return {**box_versions(), **redis_versions(redis_url)}
