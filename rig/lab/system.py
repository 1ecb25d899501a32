"""Running the host tools the lab needs (ip, iptables, mount...) and checking they exist."""

import os
import shutil
import subprocess
from collections.abc import Sequence

from rig.errors import RigError

# Tool -> Debian package that brings it, for the "how to install" hint.
REQUIRED_TOOLS = {
    "systemd-nspawn": "systemd-container",
    "debootstrap": "debootstrap",
    "iptables": "iptables",
    "ip": "iproute2",
    "unshare": "util-linux",
    "mount": "mount",
    "ssh": "openssh-client",
    "ssh-keygen": "openssh-client",
}


def require_root() -> None:
    if os.geteuid() != 0:
        raise RigError(
            "lab-in-a-box needs root (it creates a bridge, network namespaces, overlay mounts "
            "and iptables rules); run it as root, e.g. sudo .venv/bin/rig lab up"
        )


def require_tools(tools: Sequence[str] = tuple(REQUIRED_TOOLS)) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        packages = sorted({REQUIRED_TOOLS.get(t, t) for t in missing})
        raise RigError(
            f"missing {', '.join(missing)}; install with: apt-get install {' '.join(packages)} "
            "(or run scripts/install-system-deps.sh)"
        )


def run(argv: Sequence[str], *, check: bool = True, timeout: float = 120) -> str:
    """Run a host command; a failure becomes a RigError that shows the command and its stderr."""
    try:
        result = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError:
        raise RigError(f"{argv[0]} not found") from None
    except subprocess.TimeoutExpired:
        raise RigError(f"{' '.join(argv)} did not finish in {timeout:.0f} s") from None
    if check and result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        raise RigError(f"{' '.join(argv)} failed (exit {result.returncode}): {detail}")
    return result.stdout


def succeeds(argv: Sequence[str]) -> bool:
    """True when the command exits 0 (used for probes such as `iptables -C`)."""
    return subprocess.run(list(argv), capture_output=True, check=False).returncode == 0
