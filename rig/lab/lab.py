"""`rig lab up|down|status`: bring a whole lab up, record what was made, and remove all of it."""

import ipaddress
import json
import shutil
import subprocess
import time
from dataclasses import replace
from pathlib import Path

from rig.errors import RigError
from rig.lab import machines, network, rootfs
from rig.lab.config import LabConfig, LabHost
from rig.lab.inventory import remove_inventory, write_inventory
from rig.lab.system import require_root, require_tools, run

BOOT_TIMEOUT = 120.0


def read_state(lab: LabConfig) -> dict | None:
    try:
        return json.loads(lab.state_file.read_text())
    except FileNotFoundError:
        return None
    except json.JSONDecodeError as exc:
        raise RigError(
            f"{lab.state_file} is damaged ({exc}); remove it and run down again"
        ) from None


def _write_state(lab: LabConfig, state: dict) -> None:
    lab.state_dir.mkdir(parents=True, exist_ok=True)
    tmp = lab.state_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    tmp.replace(lab.state_file)


def other_labs_up(lab: LabConfig) -> list[str]:
    if not lab.state_root.is_dir():
        return []
    return sorted(
        p.parent.name for p in lab.state_root.glob("*/state.json") if p.parent.name != lab.name
    )


def _generate_key(lab: LabConfig) -> str:
    if not lab.key_path.exists():
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"rig-lab-{lab.name}",
             "-f", str(lab.key_path)])  # fmt: skip
    return lab.key_path.with_suffix(".pub").read_text()


def up(lab: LabConfig) -> dict[str, float]:
    """Build (or reuse) the base image, boot every host, write the inventory. Returns timings."""
    require_root()
    require_tools()
    if read_state(lab) is not None:
        raise RigError(
            f"lab {lab.name!r} is already up (rig lab status --name {lab.name}); "
            f"`rig lab down --name {lab.name}` first"
        )
    network.check_subnet_free(lab)
    if network.link_exists(lab.bridge) or network.link_exists(lab.data_bridge):
        raise RigError(f"bridge {lab.bridge} exists but lab {lab.name!r} has no state; "
                       f"`rig lab down --name {lab.name}` cleans it up")  # fmt: skip
    started = time.monotonic()
    images, built = {}, False
    for suite in lab.suites:
        images[suite], built_now = rootfs.ensure_rootfs(lab.cache_dir, suite)
        built = built or built_now
    image_done = time.monotonic()
    state = {
        "name": lab.name,
        "subnet": str(lab.subnet),
        "data_subnet": str(lab.data_subnet),
        "hosts": list(lab.hosts),
        "releases": [list(pair) for pair in lab.releases],
        "rootfs": {suite: str(path) for suite, path in images.items()},
        "supervisors": {},
    }
    _write_state(lab, state)  # from here on, `down` can undo a half-made lab
    try:
        public_key = _generate_key(lab)
        network.enable_forwarding(lab)
        network.create_bridge(lab)
        network.add_firewall(lab)
        roots = {}
        for host in lab.lab_hosts():
            root = machines.mount_overlay(lab, host, images[host.release])
            machines.personalise(lab, host, root, public_key)
            network.add_host_link(lab, host)
            state["supervisors"][host.name] = machines.boot(lab, host, root)
            roots[host.name] = root
            _write_state(lab, state)
        for host in lab.lab_hosts():
            machines.wait_for_ssh(
                lab, host, state["supervisors"][host.name], roots[host.name], BOOT_TIMEOUT
            )
        write_inventory(lab)
    except BaseException:
        down(lab)
        raise
    finished = time.monotonic()
    return {
        "total": finished - started,
        "image": image_done - started,
        "boot": finished - image_done,
        "image_built": float(built),
    }


def _lab_from_state(lab: LabConfig, state: dict | None) -> LabConfig:
    """The lab as it was brought up (its hosts and subnet), whatever options `down` got."""
    if state:
        return replace(
            lab,
            hosts=tuple(state["hosts"]),
            subnet=ipaddress.IPv4Network(state["subnet"]),
            data_subnet=ipaddress.IPv4Network(state.get("data_subnet", str(lab.data_subnet))),
            releases=tuple(tuple(pair) for pair in state.get("releases", [])),
        )
    hosts_dir = lab.state_dir / "hosts"
    leftovers = sorted(p.name for p in hosts_dir.iterdir()) if hosts_dir.is_dir() else []
    return replace(lab, hosts=tuple(leftovers)) if leftovers else lab


def down(lab: LabConfig) -> list[str]:
    """Stop every host and remove everything `up` made; returns what was removed."""
    require_root()
    state = read_state(lab)
    lab = _lab_from_state(lab, state)
    removed = []
    supervisors = (state or {}).get("supervisors", {})
    for host in lab.lab_hosts():
        root = machines.overlay_dirs(lab, host)["merged"]
        pid = supervisors.get(host.name)
        if pid and machines.supervisor_alive(pid, root):
            machines.poweroff(pid, root)
            removed.append(f"host {host.name}")
    for host in lab.lab_hosts():
        machines.unmount_overlay(lab, host)
        network.remove_host_link(lab, host)
    removed += [f"bridge {bridge}" for bridge in network.delete_bridge(lab)]
    network.remove_firewall(lab)
    network.restore_forwarding(lab, other_labs_up=bool(other_labs_up(lab)))
    remove_inventory(lab)
    if lab.state_dir.exists():
        _remove_tree(lab.state_dir)
        removed.append(f"state {lab.state_dir}")
    return removed


def _remove_tree(path: Path) -> None:
    """Remove the lab's state, refusing to follow into anything still mounted under it."""
    with open("/proc/self/mounts") as mounts:
        busy = [line.split()[1] for line in mounts if line.split()[1].startswith(str(path) + "/")]
    if busy:
        raise RigError(f"still mounted under {path}: {', '.join(busy)}; unmount them first")
    shutil.rmtree(path)


def status(lab: LabConfig) -> list[dict]:
    """One row per host of the lab: name, address, groups, running or not."""
    state = read_state(lab)
    if state is None:
        return []
    lab = _lab_from_state(lab, state)
    rows = []
    for host in lab.lab_hosts():
        root = machines.overlay_dirs(lab, host)["merged"]
        pid = state["supervisors"].get(host.name)
        running = bool(pid) and machines.supervisor_alive(pid, root)
        rows.append(
            {
                "host": host.name,
                "address": host.address,
                "data_address": host.data_address,
                "release": host.release,
                "groups": ",".join(host.groups),
                "state": "running" if running else "stopped",
            }
        )
    return rows


def lab_host(lab: LabConfig, name: str) -> tuple[LabConfig, LabHost]:
    state = read_state(lab)
    if state is None:
        raise RigError(f"lab {lab.name!r} is not up (rig lab up --name {lab.name})")
    lab = _lab_from_state(lab, state)
    return lab, lab.host(name)


def ssh(lab: LabConfig, name: str, command: list[str]) -> int:
    lab, host = lab_host(lab, name)
    argv = machines.ssh_argv(lab, host, *command, tty=not command)
    return subprocess.run(argv, check=False).returncode
