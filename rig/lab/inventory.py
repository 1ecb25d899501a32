"""The Ansible inventory of a running lab (hosts.yml), written by `up` and removed by `down`."""

import secrets
from pathlib import Path

import yaml

from rig.lab.config import DEFAULT_NAME, LAB_USER, LabConfig

SSH_ARGS = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"


def inventory_data(lab: LabConfig) -> dict:
    hosts = {
        host.name: {
            "ansible_host": host.address,
            # Unprivileged, root only through sudo (become), as on lab hardware.
            "ansible_user": LAB_USER,
            # Redis, the API, Locust and the scrapes use the data network.
            "rig_data_address": host.data_address,
            "ansible_ssh_private_key_file": str(lab.key_path),
            "ansible_ssh_common_args": SSH_ARGS,
            "ansible_python_interpreter": "/usr/bin/python3",
        }
        for host in lab.lab_hosts()
    }
    children: dict[str, dict] = {}
    for host in lab.lab_hosts():
        for group in host.groups:
            children.setdefault(group, {"hosts": {}})["hosts"][host.name] = None
    # A fresh Redis password per lab: the repository holds no working secret.
    lab_vars = {"rig_lab_name": lab.name, "redis_password": secrets.token_hex(16)}
    return {"all": {"vars": lab_vars, "hosts": hosts, "children": children}}


def write_inventory(lab: LabConfig) -> Path:
    lab.inventory_dir.mkdir(parents=True, exist_ok=True)
    if lab.name != DEFAULT_NAME:
        # Other labs share the lab-in-a-box group_vars.
        link = lab.inventory_dir / "group_vars"
        if not link.is_symlink():
            link.symlink_to(Path("..") / "lab-in-a-box" / "group_vars")
    header = (
        f"# Written by `rig lab up --name {lab.name}`; removed by `rig lab down`. Do not edit.\n"
        "---\n"
    )
    body = yaml.safe_dump(inventory_data(lab), sort_keys=False, default_flow_style=False)
    lab.inventory_path.write_text(header + body)
    return lab.inventory_path


def remove_inventory(lab: LabConfig) -> None:
    lab.inventory_path.unlink(missing_ok=True)
    if lab.name != DEFAULT_NAME:
        link = lab.inventory_dir / "group_vars"
        if link.is_symlink():
            link.unlink()
        if lab.inventory_dir.is_dir() and not any(lab.inventory_dir.iterdir()):
            lab.inventory_dir.rmdir()
