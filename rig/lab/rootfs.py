"""The Debian base images of the lab hosts: built once per release with debootstrap, cached,
shared read-only.

The cache key covers everything baked into an image (suite, package list, the lab user, the
host's extra CA certificates), so a change rebuilds it. A file lock makes concurrent
`rig lab up` runs build it once; the image is built in a temporary directory and renamed
into place when complete.
"""

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from rig.errors import RigError
from rig.lab.config import DEFAULT_RELEASE, LAB_USER
from rig.lab.system import run

SUITE = DEFAULT_RELEASE  # the release of hosts that name none
# 2: the lab user with passwordless sudo.
IMAGE_FORMAT = 2
# python3-apt and python3-packaging: Ansible's apt and pip modules; the rest makes a bootable
# systemd host reachable over SSH.
PACKAGES = (
    "systemd",
    "systemd-sysv",
    "dbus",
    "openssh-server",
    "python3",
    "python3-apt",
    "python3-venv",
    "python3-packaging",
    "iproute2",
    "ca-certificates",
    "curl",
    "sudo",
    "procps",
)
EXTRA_CA_DIR = Path("/usr/local/share/ca-certificates")
ETC_HOSTS = "127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n"


def _extra_ca_files() -> list[Path]:
    return sorted(EXTRA_CA_DIR.glob("*.crt")) if EXTRA_CA_DIR.is_dir() else []


def cache_key(suite: str = SUITE) -> str:
    digest = hashlib.sha256()
    digest.update(
        json.dumps({"suite": suite, "packages": PACKAGES, "format": IMAGE_FORMAT}).encode()
    )
    for path in _extra_ca_files():
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def rootfs_path(cache_dir: Path, suite: str = SUITE) -> Path:
    return cache_dir / f"rootfs-{suite}-{cache_key(suite)}"


def ensure_rootfs(cache_dir: Path, suite: str = SUITE) -> tuple[Path, bool]:
    """The cached rootfs of `suite`, built first if needed; returns (path, built_now)."""
    target = rootfs_path(cache_dir, suite)
    done = target.with_name(target.name + ".ok")
    if done.exists():
        return target, False
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("waiting for another `rig lab up` that is building the base image", flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():  # built by the run we waited for
            return target, False
        _build(target, cache_dir, suite)
        done.write_text(json.dumps({"suite": suite, "packages": PACKAGES}) + "\n")
        _remove_stale_images(cache_dir, keep=target, suite=suite)
    return target, True


def _remove_stale_images(cache_dir: Path, keep: Path, suite: str = SUITE) -> None:
    """Images of the release with an older package list go, unless a running lab has one mounted."""
    mounts = Path("/proc/self/mounts").read_text()
    for image in cache_dir.glob(f"rootfs-{suite}-*"):
        if image.is_dir() and image != keep and f"lowerdir={image}," not in mounts:
            image.with_name(image.name + ".ok").unlink(missing_ok=True)
            shutil.rmtree(image, ignore_errors=True)


def _build(target: Path, cache_dir: Path, suite: str) -> None:
    work = cache_dir / f".build-{target.name}-{os.getpid()}"
    log = cache_dir / f"debootstrap-{suite}.log"
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(target, ignore_errors=True)
    print(f"building the lab base image (Debian {suite}, once) in {target}", flush=True)
    started = time.monotonic()
    # No mirror argument: debootstrap's default is the right one for the machine's location.
    argv = [
        "debootstrap",
        "--variant=minbase",
        f"--include={','.join(PACKAGES)}",
        suite,
        str(work),
    ]
    with open(log, "w") as out:
        code = _run_logged(argv, out)
    if code != 0:
        shutil.rmtree(work, ignore_errors=True)
        tail = "".join(log.read_text(errors="replace").splitlines(keepends=True)[-15:])
        raise RigError(f"debootstrap failed (exit {code}); last lines of {log}:\n{tail}")
    _customise(work)
    work.rename(target)
    print(f"base image ready in {time.monotonic() - started:.0f} s", flush=True)


def _run_logged(argv: list[str], out) -> int:
    return subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, check=False).returncode


def _customise(root: Path) -> None:
    """What every host shares: CA certificates, /etc/hosts, sshd enabled, no host identity."""
    extra = _extra_ca_files()
    if extra:
        # Without the host's extra CAs, HTTPS from inside fails behind an inspecting proxy.
        for path in extra:
            shutil.copy2(path, root / "usr/local/share/ca-certificates" / path.name)
        run(["chroot", str(root), "update-ca-certificates"])
    (root / "etc/hosts").write_text(ETC_HOSTS)  # debootstrap writes none
    # Each host gets its own SSH host keys and machine id at boot time.
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    (root / "etc/machine-id").write_text("")
    wants = root / "etc/systemd/system/multi-user.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    ssh_link = wants / "ssh.service"
    if not ssh_link.exists() and not ssh_link.is_symlink():
        ssh_link.symlink_to("/lib/systemd/system/ssh.service")
    # The user Ansible connects as: unprivileged, root only through sudo (no password here;
    # labs whose sudo asks for one run ansible-playbook with -K).
    run(["chroot", str(root), "useradd", "--create-home", "--shell", "/bin/bash", LAB_USER])
    sudoers = root / "etc/sudoers.d" / f"{LAB_USER}-lab"
    sudoers.write_text(f"{LAB_USER} ALL=(ALL:ALL) NOPASSWD: ALL\n")
    os.chmod(sudoers, 0o440)
    run(["chroot", str(root), "apt-get", "clean"])
