"""Names, addresses and paths of one lab, all derived from its name so that labs never collide."""

import ipaddress
import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from rig.errors import RigError
from rig.paths import REPO_ROOT

DEFAULT_NAME = "rig"
DEFAULT_HOSTS = ("app", "loadgen", "monitor")
DEFAULT_STATE_ROOT = Path("/var/lib/rig-lab")
DEFAULT_CACHE_DIR = Path("/var/cache/rig-lab")
INVENTORY_ROOT = REPO_ROOT / "inventory"

# Short enough that "br-NAME", "ve-NAME-NN" and the iptables chain fit the kernel's 15 characters.
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]{0,7}$")
HOST_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
MAX_HOSTS = 99
FIRST_HOST_OCTET = 10

# Inventory groups of the well-known host names; the monitoring roles use monitoring/controller.
HOST_GROUPS = {
    "app": ("redis", "app"),
    "loadgen": ("locust_master", "locust_workers"),
    "monitor": ("monitoring", "controller"),
}


def groups_of(host: str) -> tuple[str, ...]:
    """Groups a host joins: by name, and extra "loadgen2", "app2"... hosts join the pool."""
    if host in HOST_GROUPS:
        return HOST_GROUPS[host]
    if host.startswith("loadgen"):
        return ("locust_workers",)
    if host.startswith("app"):
        return ("app",)
    return ()


def default_subnet(name: str) -> ipaddress.IPv4Network:
    """A /24 in 10.231.0.0/16 chosen from the name, so each lab has its own."""
    third = zlib.crc32(name.encode()) % 254 + 1
    return ipaddress.IPv4Network(f"10.231.{third}.0/24")


@dataclass(frozen=True)
class LabHost:
    name: str
    index: int
    address: str

    @property
    def groups(self) -> tuple[str, ...]:
        return groups_of(self.name)


@dataclass(frozen=True)
class LabConfig:
    """Everything that identifies one lab on this machine."""

    name: str
    hosts: tuple[str, ...]
    subnet: ipaddress.IPv4Network
    state_root: Path
    cache_dir: Path

    @classmethod
    def from_options(
        cls,
        name: str | None = None,
        hosts: str | tuple[str, ...] | None = None,
        subnet: str | None = None,
        state_root: Path | None = None,
        cache_dir: Path | None = None,
    ) -> "LabConfig":
        name = name or os.environ.get("RIG_LAB_NAME") or DEFAULT_NAME
        if not NAME_PATTERN.match(name):
            raise RigError(
                f"lab name {name!r} is not valid: 1 to 8 characters, lower-case letters and "
                "digits, starting with a letter"
            )
        host_names = _parse_hosts(hosts)
        network = _parse_subnet(subnet) if subnet else default_subnet(name)
        state_root = state_root or Path(os.environ.get("RIG_LAB_STATE_DIR", DEFAULT_STATE_ROOT))
        cache_dir = cache_dir or Path(os.environ.get("RIG_LAB_CACHE_DIR", DEFAULT_CACHE_DIR))
        return cls(name, host_names, network, state_root, cache_dir)

    @property
    def state_dir(self) -> Path:
        return self.state_root / self.name

    @property
    def state_file(self) -> Path:
        return self.state_dir / "state.json"

    @property
    def key_path(self) -> Path:
        return self.state_dir / "id_ed25519"

    @property
    def bridge(self) -> str:
        return f"br-{self.name}"

    @property
    def chain(self) -> str:
        return f"RIGLAB-{self.name.upper()}"

    @property
    def gateway(self) -> str:
        return str(self.subnet.network_address + 1)

    @property
    def inventory_dir(self) -> Path:
        suffix = "" if self.name == DEFAULT_NAME else f"-{self.name}"
        return INVENTORY_ROOT / f"lab-in-a-box{suffix}"

    @property
    def inventory_path(self) -> Path:
        return self.inventory_dir / "hosts.yml"

    def lab_hosts(self) -> list[LabHost]:
        base = self.subnet.network_address + FIRST_HOST_OCTET
        return [LabHost(h, i, str(base + i)) for i, h in enumerate(self.hosts)]

    def host(self, name: str) -> LabHost:
        for host in self.lab_hosts():
            if host.name == name:
                return host
        raise RigError(f"lab {self.name!r} has no host {name!r} (hosts: {', '.join(self.hosts)})")

    def netns(self, host: LabHost) -> str:
        return f"{self.name}-{host.name}"

    def veth(self, host: LabHost) -> str:
        return f"ve-{self.name}-{host.index}"

    def host_dir(self, host: LabHost) -> Path:
        return self.state_dir / "hosts" / host.name


def _parse_hosts(hosts: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if hosts is None:
        return DEFAULT_HOSTS
    names = tuple(h.strip() for h in hosts.split(",")) if isinstance(hosts, str) else hosts
    names = tuple(h for h in names if h)
    if not names:
        raise RigError("--hosts needs at least one host name, e.g. --hosts app,loadgen")
    bad = [h for h in names if not HOST_PATTERN.match(h)]
    if bad:
        raise RigError(f"host names must be lower-case letters, digits and '-': {', '.join(bad)}")
    if len(set(names)) != len(names):
        raise RigError(f"host names repeat in --hosts {','.join(names)}")
    if len(names) > MAX_HOSTS:
        raise RigError(f"at most {MAX_HOSTS} hosts per lab")
    return names


def _parse_subnet(text: str) -> ipaddress.IPv4Network:
    try:
        network = ipaddress.IPv4Network(text)
    except ValueError as exc:
        raise RigError(f"--subnet {text!r} is not an IPv4 network: {exc}") from None
    if network.prefixlen != 24 or not network.is_private:
        raise RigError(f"--subnet must be a private /24, e.g. 10.231.7.0/24 (got {text})")
    return network
