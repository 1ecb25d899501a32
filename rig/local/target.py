"""`rig local --target`: checks and command-line pieces for loading a service the rig did not start.

The rig starts no API and no Redis then; it loads the URL with the user's locustfile (the
rig's plugins beside it) or a scenario, and may watch the service's Redis read-only through
redis_exporter. Nothing here writes to the service's Redis.
"""

import ipaddress
import socket
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from loadgen import runner
from rig.errors import RigError

PLUGINS = runner.LOADGEN_DIR / "rig_plugins.py"
REDIS_SCHEMES = ("redis", "rediss", "unix")


def redact(url: str) -> str:
    """The URL without its password (or user), safe to print and to keep in run.json."""
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def check_target(url: str) -> str:
    """An http(s) URL with a host; RigError saying what is wrong otherwise."""
    text = str(url).strip()
    try:
        parts = urlsplit(text)
        port = parts.port  # ValueError when out of range or not a number
    except ValueError:
        raise RigError(f"--target {redact(text)!r} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RigError(
            f"--target must be an http:// or https:// URL with a host, not {redact(text)!r}"
        )
    if port == 0:
        raise RigError(f"--target {redact(text)!r}: port 0 is not a port")
    if any(c.isspace() for c in text):
        raise RigError("--target must not contain spaces")
    return text.rstrip("/")


def check_redis_url(url: str) -> str:
    """A redis://, rediss:// or unix:// URL; RigError (without the password) otherwise."""
    text = str(url).strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise RigError(f"--redis-url {redact(text)!r} is not a valid URL") from None
    if parts.scheme not in REDIS_SCHEMES:
        raise RigError(
            f"--redis-url must start with redis://, rediss:// or unix://, not {redact(text)!r}"
        )
    if (parts.scheme != "unix" and not parts.hostname) or port == 0:
        raise RigError(f"--redis-url {redact(text)!r} names no host")
    return text


def check_locustfile(path: str | Path) -> Path:
    """An existing .py file, as an absolute path (Locust runs from the checkout)."""
    file = Path(path).expanduser()
    if file.suffix != ".py":
        raise RigError(f"--locustfile {file} must be a Python file (.py)")
    if not file.is_file():
        raise RigError(f"--locustfile {file} does not exist")
    return file.resolve()


def scenario_shapes(scenario: str) -> list[str]:
    """The load-shape files a scenario lists (loadgen/shapes/*), which apply to any users."""
    files = runner.scenario_locustfiles(scenario).split(",")
    return [f for f in files if Path(f).parent.name == "shapes"]


def locustfiles(locustfile: Path, scenario: str | None) -> str:
    """Locust's -f for a user's locustfile: the file, the rig's plugins, the scenario's shape."""
    files = [str(locustfile), str(PLUGINS)]
    if scenario:
        files += scenario_shapes(scenario)
    return ",".join(files)


def is_local(url: str) -> bool:
    """Whether the URL's host is this machine, so its host figures are the service's host's."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host == socket.gethostname():
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return any(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)
