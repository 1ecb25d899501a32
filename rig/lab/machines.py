"""One lab host: an overlay on the shared base image, booted by systemd-nspawn (systemd as PID 1).

The host has no systemd of its own, so nspawn runs with --register=no --keep-unit, inside a
private mount namespace where a fresh cgroup2 mount gives the container pure cgroup v2
without touching the host's mounts. A small shell loop boots the container again when it
reboots (nspawn exits with 133 then), as systemd-nspawn@.service does.
"""

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path

from rig import processes
from rig.errors import RigError
from rig.lab.config import LAB_USER, LabConfig, LabHost
from rig.lab.system import run

POWEROFF = signal.SIGRTMIN + 4  # systemd: clean poweroff
REBOOT_EXIT = 133


def overlay_dirs(lab: LabConfig, host: LabHost) -> dict[str, Path]:
    base = lab.host_dir(host)
    return {name: base / name for name in ("upper", "work", "merged")}


def is_mounted(path: Path) -> bool:
    target = str(path)
    with open("/proc/self/mounts") as mounts:
        return any(line.split()[1] == target for line in mounts)


def mount_overlay(lab: LabConfig, host: LabHost, rootfs: Path) -> Path:
    dirs = overlay_dirs(lab, host)
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    options = f"lowerdir={rootfs},upperdir={dirs['upper']},workdir={dirs['work']}"
    run(["mount", "-t", "overlay", "overlay", "-o", options, str(dirs["merged"])])
    return dirs["merged"]


def unmount_overlay(lab: LabConfig, host: LabHost) -> None:
    merged = overlay_dirs(lab, host)["merged"]
    if is_mounted(merged):
        try:
            run(["umount", str(merged)], timeout=30)
        except RigError:
            run(["umount", "--lazy", str(merged)])


def personalise(lab: LabConfig, host: LabHost, root: Path, public_key: str) -> None:
    """Identity of one host: hostname, /etc/hosts of the lab, machine id, SSH keys."""
    (root / "etc/hostname").write_text(f"{host.name}\n")
    lines = ["127.0.0.1\tlocalhost", "::1\t\tlocalhost ip6-localhost ip6-loopback"]
    lines += [f"{h.address}\t{h.name}" for h in lab.lab_hosts()]
    (root / "etc/hosts").write_text("\n".join(lines) + "\n")
    (root / "etc/machine-id").write_text(secrets.token_hex(16) + "\n")
    # root: `rig lab ssh` and the tests; LAB_USER: Ansible, which becomes root through sudo.
    _authorize(root / "root", public_key, 0, 0)
    uid, gid = _user_ids(root, LAB_USER)
    _authorize(root / "home" / LAB_USER, public_key, uid, gid)
    if not list((root / "etc/ssh").glob("ssh_host_*_key")):
        run(["ssh-keygen", "-A", "-f", str(root)])


def _user_ids(root: Path, user: str) -> tuple[int, int]:
    for line in (root / "etc/passwd").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == user:
            return int(fields[2]), int(fields[3])
    raise RigError(f"the lab image has no user {user!r}; remove the image cache to rebuild it")


def _authorize(home: Path, public_key: str, uid: int, gid: int) -> None:
    ssh_dir = home / ".ssh"
    ssh_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    (ssh_dir / "authorized_keys").write_text(public_key)
    os.chmod(ssh_dir / "authorized_keys", 0o600)
    for path in (ssh_dir, ssh_dir / "authorized_keys"):
        os.chown(path, uid, gid)


def boot_argv(lab: LabConfig, host: LabHost, root: Path) -> list[str]:
    nspawn = " ".join(
        [
            "systemd-nspawn --quiet --boot",
            f"--directory={root}",
            f"--machine={lab.name}-{host.name}",
            f"--hostname={host.name}",
            "--register=no --keep-unit --console=read-only",
            f"--network-namespace-path=/run/netns/{lab.netns(host)}",
        ]
    )
    script = (
        "mount -t cgroup2 none /sys/fs/cgroup || exit 1; "
        f'while :; do {nspawn}; rc=$?; [ "$rc" -eq {REBOOT_EXIT} ] || exit "$rc"; done'
    )
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script]


def boot(lab: LabConfig, host: LabHost, root: Path) -> int:
    """Start the container in its own session; returns the supervisor's pid."""
    log = lab.host_dir(host) / "console.log"
    process = processes.spawn(boot_argv(lab, host, root), log_path=log)
    return process.pid


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def descendants(pid: int) -> list[int]:
    tree, found, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def container_init(supervisor: int) -> int | None:
    """Host pid of the container's systemd: the descendant that is PID 1 in its namespace."""
    for pid in descendants(supervisor):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("NSpid:"):
                ids = line.split()[1:]
                if len(ids) >= 2 and ids[-1] == "1":
                    return pid
    return None


def supervisor_alive(pid: int, root: Path) -> bool:
    """The recorded pid is still our supervisor (not a reused pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return str(root) in cmdline


def poweroff(supervisor: int, root: Path, timeout: float = 30.0) -> None:
    """Clean poweroff (SIGRTMIN+4 to the container's systemd), then force what is left."""
    if not supervisor_alive(supervisor, root):
        return
    init = container_init(supervisor)
    if init is not None:
        os.kill(init, POWEROFF)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and supervisor_alive(supervisor, root):
        _reap(supervisor)
        time.sleep(0.2)
    leftovers = [supervisor, *descendants(supervisor)] if supervisor_alive(supervisor, root) else []
    for pid in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    _reap(supervisor)


def _reap(pid: int) -> None:
    """Collect the supervisor's exit status when this process started it (same `rig` run)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def ssh_argv(lab: LabConfig, host: LabHost, *command: str, tty: bool = False) -> list[str]:
    argv = [
        "ssh",
        "-i", str(lab.key_path),
        "-o", "StrictHostKeyChecking=no",
        "-o", "UserKnownHostsFile=/dev/null",
        "-o", "LogLevel=ERROR",
        "-o", "ConnectTimeout=5",
        "-o", "BatchMode=yes",
    ]  # fmt: skip
    if tty:
        argv.append("-t")
    return [*argv, f"root@{host.address}", *command]


def wait_for_ssh(lab: LabConfig, host: LabHost, supervisor: int, root: Path, timeout: float):
    """Poll until `ssh root@HOST true` works; fail early if the container died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not supervisor_alive(supervisor, root):
            # `up` removes the half-made lab (and this log) after the error: quote its end.
            log = lab.host_dir(host) / "console.log"
            tail = log.read_text(errors="replace").splitlines()[-15:] if log.exists() else []
            raise RigError(
                f"lab host {host.name} stopped while booting; the end of its console:\n"
                + "\n".join(tail)
            )
        if _port_open(host.address, 22):
            probe = subprocess.run(
                ssh_argv(lab, host, "true"), capture_output=True, timeout=15, check=False
            )
            if probe.returncode == 0:
                return
        time.sleep(0.2)
    raise RigError(f"lab host {host.name} ({host.address}) did not answer SSH in {timeout:.0f} s")


def _port_open(address: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((address, port)) == 0
