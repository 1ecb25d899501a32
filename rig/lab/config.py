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
# Debian releases a lab host can run (from Debian's own archive); hosts not named get the first.
RELEASES = ("bookworm", "trixie")
DEFAULT_RELEASE = RELEASES[0]
# The unprivileged user Ansible connects as (root only through sudo, as on lab hardware).
LAB_USER = "rig"

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


def default_subnet(name: str, second: int = 231) -> ipaddress.IPv4Network:
    """A /24 in 10.231.0.0/16 (data network: 10.232.0.0/16) chosen from the name."""
    third = zlib.crc32(name.encode()) % 254 + 1
    return ipaddress.IPv4Network(f"10.{second}.{third}.0/24")


@dataclass(frozen=True)
class LabHost:
    name: str
    index: int
    # Management address (SSH, Ansible) and data address (Redis, the API, Locust, scrapes).
    address: str
    data_address: str
    release: str = DEFAULT_RELEASE

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
    data_subnet: ipaddress.IPv4Network
    # (host, release) for the hosts that do not run DEFAULT_RELEASE.
    releases: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_options(
        cls,
        name: str | None = None,
        hosts: str | tuple[str, ...] | None = None,
        subnet: str | None = None,
        state_root: Path | None = None,
        cache_dir: Path | None = None,
        data_subnet: str | None = None,
        releases: str | list[str] | None = None,
    ) -> "LabConfig":
        name = name or os.environ.get("RIG_LAB_NAME") or DEFAULT_NAME
        if not NAME_PATTERN.match(name):
            raise RigError(
                f"lab name {name!r} is not valid: 1 to 8 characters, lower-case letters and "
                "digits, starting with a letter"
            )
        host_names = _parse_hosts(hosts)
        network = _parse_subnet(subnet) if subnet else default_subnet(name)
        data = (
            _parse_subnet(data_subnet, "--data-subnet")
            if data_subnet
            else default_subnet(name, 232)
        )
        if data.overlaps(network):
            raise RigError(f"the data subnet {data} overlaps the management subnet {network}")
        state_root = state_root or Path(os.environ.get("RIG_LAB_STATE_DIR", DEFAULT_STATE_ROOT))
        cache_dir = cache_dir or Path(os.environ.get("RIG_LAB_CACHE_DIR", DEFAULT_CACHE_DIR))
        chosen = parse_releases(releases, host_names)
        return cls(name, host_names, network, state_root, cache_dir, data, chosen)

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
    def data_bridge(self) -> str:
        return f"bd-{self.name}"

    @property
    def data_gateway(self) -> str:
        """This machine's address on the data network (it seeds and resets over it)."""
        return str(self.data_subnet.network_address + 1)

    def release_of(self, host: str) -> str:
        return dict(self.releases).get(host, DEFAULT_RELEASE)

    @property
    def suites(self) -> tuple[str, ...]:
        """The releases this lab's hosts run, each one base image."""
        return tuple(sorted({self.release_of(h) for h in self.hosts}))

    @property
    def inventory_dir(self) -> Path:
        suffix = "" if self.name == DEFAULT_NAME else f"-{self.name}"
        return INVENTORY_ROOT / f"lab-in-a-box{suffix}"

    @property
    def inventory_path(self) -> Path:
        return self.inventory_dir / "hosts.yml"

    def lab_hosts(self) -> list[LabHost]:
        base = self.subnet.network_address + FIRST_HOST_OCTET
        data = self.data_subnet.network_address + FIRST_HOST_OCTET
        return [
            LabHost(h, i, str(base + i), str(data + i), self.release_of(h))
            for i, h in enumerate(self.hosts)
        ]

    def host(self, name: str) -> LabHost:
        for host in self.lab_hosts():
            if host.name == name:
                return host
        raise RigError(f"lab {self.name!r} has no host {name!r} (hosts: {', '.join(self.hosts)})")

    def netns(self, host: LabHost) -> str:
        return f"{self.name}-{host.name}"

    def veth(self, host: LabHost) -> str:
        return f"ve-{self.name}-{host.index}"

    def data_veth(self, host: LabHost) -> str:
        return f"vd-{self.name}-{host.index}"

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


def parse_releases(
    text: str | list[str] | tuple[tuple[str, str], ...] | None, hosts: tuple[str, ...]
) -> tuple[tuple[str, str], ...]:
    """`app=trixie,loadgen=bookworm` (or several such options) as sorted (host, release) pairs."""
    if not text:
        return ()
    if isinstance(text, tuple):  # already parsed (from the lab's state)
        items = [f"{h}={r}" for h, r in text]
    else:
        parts = [text] if isinstance(text, str) else list(text)
        items = [item.strip() for part in parts for item in part.split(",") if item.strip()]
    chosen: dict[str, str] = {}
    for item in items:
        host, sep, release = item.partition("=")
        host, release = host.strip(), release.strip()
        if not sep or not host or not release:
            raise RigError(f"--release takes HOST=RELEASE, e.g. app=trixie (got {item!r})")
        if host not in hosts:
            raise RigError(f"--release names {host!r}, which is not in --hosts {','.join(hosts)}")
        if release not in RELEASES:
            raise RigError(f"unknown release {release!r} for {host}; known: {', '.join(RELEASES)}")
        if chosen.get(host, release) != release:
            raise RigError(f"--release gives {host} two releases ({chosen[host]}, {release})")
        chosen[host] = release
    return tuple(sorted((h, r) for h, r in chosen.items() if r != DEFAULT_RELEASE))


def _parse_subnet(text: str, option: str = "--subnet") -> ipaddress.IPv4Network:
    try:
        network = ipaddress.IPv4Network(text)
    except ValueError as exc:
        raise RigError(f"{option} {text!r} is not an IPv4 network: {exc}") from None
    if network.prefixlen != 24 or not network.is_private:
        raise RigError(f"{option} must be a private /24, e.g. 10.231.7.0/24 (got {text})")
    return network
