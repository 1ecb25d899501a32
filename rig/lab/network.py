"""The lab's networks: a management bridge with a private /24 and NAT out (SSH, packages), a
data bridge with another /24 (Redis, the API, Locust, scrapes), and one namespace per host with
a veth in each bridge (eth0: management, eth1: data).

Firewall rules live in chains named after the lab (filter FORWARD and nat POSTROUTING jump to
them), so `down` removes exactly the lab's own rules and leaves other labs' alone.
"""

import ipaddress
import json
from pathlib import Path

from rig.errors import RigError
from rig.lab.config import LabConfig, LabHost
from rig.lab.system import run, succeeds

IP_FORWARD = Path("/proc/sys/net/ipv4/ip_forward")
# -w: wait for the xtables lock when another lab (or a firewall tool) changes rules meanwhile.
IPTABLES = ("iptables", "-w")


def check_subnet_free(lab: LabConfig) -> None:
    """Refuse a /24 that the host already routes (another lab, a VPN, the uplink)."""
    for line in run(["ip", "-4", "-o", "route", "show"]).splitlines():
        dest = line.split()[0]
        if dest == "default":
            continue
        try:
            network = ipaddress.IPv4Network(dest, strict=False)
        except ValueError:
            continue
        for mine, option in ((lab.subnet, "--subnet"), (lab.data_subnet, "--data-subnet")):
            if network.overlaps(mine):
                raise RigError(
                    f"subnet {mine} of lab {lab.name!r} overlaps a route on this host "
                    f"({line.strip()}); choose another with {option} or another --name"
                )


def _bridges(lab: LabConfig) -> list[tuple[str, str, int]]:
    return [
        (lab.bridge, lab.gateway, lab.subnet.prefixlen),
        (lab.data_bridge, lab.data_gateway, lab.data_subnet.prefixlen),
    ]


def create_bridge(lab: LabConfig) -> None:
    for bridge, address, prefix in _bridges(lab):
        run(["ip", "link", "add", bridge, "type", "bridge"])
        run(["ip", "addr", "add", f"{address}/{prefix}", "dev", bridge])
        run(["ip", "link", "set", bridge, "up"])


def delete_bridge(lab: LabConfig) -> list[str]:
    """Delete both bridges; returns the names of those that existed."""
    deleted = []
    for bridge, _address, _prefix in _bridges(lab):
        if link_exists(bridge):
            run(["ip", "link", "del", bridge])
            deleted.append(bridge)
    return deleted


def link_exists(name: str) -> bool:
    return succeeds(["ip", "link", "show", name])


def _chain_rules(lab: LabConfig) -> list[tuple[str, list[str]]]:
    """Both /24s forward (hosts talk across their bridge); only management goes out (NAT)."""
    subnet, data = str(lab.subnet), str(lab.data_subnet)
    return [
        ("filter", ["-s", subnet, "-j", "ACCEPT"]),
        ("filter", ["-d", subnet, "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED",
                    "-j", "ACCEPT"]),
        ("filter", ["-s", data, "-d", data, "-j", "ACCEPT"]),
        ("nat", ["-s", subnet, "!", "-d", subnet, "-j", "MASQUERADE"]),
    ]  # fmt: skip


_HOOKS = {"filter": "FORWARD", "nat": "POSTROUTING"}


def add_firewall(lab: LabConfig) -> None:
    for table, hook in _HOOKS.items():
        run([*IPTABLES, "-t", table, "-N", lab.chain])
        run([*IPTABLES, "-t", table, "-I", hook, "1", "-j", lab.chain])
    for table, rule in _chain_rules(lab):
        run([*IPTABLES, "-t", table, "-A", lab.chain, *rule])


def remove_firewall(lab: LabConfig) -> None:
    for table, hook in _HOOKS.items():
        while succeeds([*IPTABLES, "-t", table, "-C", hook, "-j", lab.chain]):
            run([*IPTABLES, "-t", table, "-D", hook, "-j", lab.chain])
        if chain_exists(lab, table):
            run([*IPTABLES, "-t", table, "-F", lab.chain])
            run([*IPTABLES, "-t", table, "-X", lab.chain])


def chain_exists(lab: LabConfig, table: str) -> bool:
    return succeeds([*IPTABLES, "-t", table, "-n", "-L", lab.chain])


def enable_forwarding(lab: LabConfig) -> None:
    """Turn on ip_forward, remembering (once, for all labs) what it was."""
    record = lab.state_root / "ip_forward.json"
    if IP_FORWARD.read_text().strip() != "1":
        if not record.exists():
            record.parent.mkdir(parents=True, exist_ok=True)
            record.write_text(json.dumps({"before": IP_FORWARD.read_text().strip()}))
        IP_FORWARD.write_text("1\n")


def restore_forwarding(lab: LabConfig, other_labs_up: bool) -> None:
    """The last lab to go down puts ip_forward back as the first one found it."""
    record = lab.state_root / "ip_forward.json"
    if other_labs_up or not record.exists():
        return
    before = json.loads(record.read_text()).get("before", "0")
    IP_FORWARD.write_text(f"{before}\n")
    record.unlink()


def add_host_link(lab: LabConfig, host: LabHost) -> None:
    """Namespace `NAME-HOST` with eth0 (management, default route) in the lab bridge and eth1
    (data) in the data bridge."""
    netns = lab.netns(host)
    run(["ip", "netns", "add", netns])
    inside = ["ip", "-n", netns]
    run([*inside, "link", "set", "lo", "up"])
    links = [
        (lab.veth(host), "eth0", lab.bridge, host.address, lab.subnet.prefixlen),
        (
            lab.data_veth(host),
            "eth1",
            lab.data_bridge,
            host.data_address,
            lab.data_subnet.prefixlen,
        ),
    ]
    for veth, name, bridge, address, prefix in links:
        run(["ip", "link", "add", veth, "type", "veth", "peer", "name", name, "netns", netns])
        run(["ip", "link", "set", veth, "master", bridge, "up"])
        run([*inside, "addr", "add", f"{address}/{prefix}", "dev", name])
        run([*inside, "link", "set", name, "up"])
    run([*inside, "route", "add", "default", "via", lab.gateway])


def remove_host_link(lab: LabConfig, host: LabHost) -> None:
    for veth in (lab.veth(host), lab.data_veth(host)):
        if link_exists(veth):
            run(["ip", "link", "del", veth])
    if lab.netns(host) in netns_list():
        run(["ip", "netns", "del", lab.netns(host)])


def netns_list() -> list[str]:
    return [line.split()[0] for line in run(["ip", "netns", "list"]).splitlines() if line]
