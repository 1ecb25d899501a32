"""Server configurations the API benchmark compares: gunicorn-CLASS[-THREADS], granian[-THREADS]."""

from dataclasses import dataclass, replace
from pathlib import Path


@dataclass(frozen=True)
class ServerConfig:
    label: str
    server: str
    worker_class: str | None
    threads: int
    checkout: Path | None = None  # the API of another checkout (None: this one)
    python: str | None = None  # another interpreter (None: the benchmark's own)

    def settings(self, workers: int) -> dict[str, str]:
        found = {"RIG_WORKERS": str(workers), "RIG_THREADS": str(self.threads)}
        if self.worker_class:
            found["RIG_WORKER_CLASS"] = self.worker_class
        return found


def parse_config(text: str) -> ServerConfig:
    """gunicorn-CLASS[-THREADS] or granian[-THREADS]; ValueError names the accepted forms."""
    parts = text.strip().lower().split("-")
    threads = int(parts.pop()) if len(parts) > 1 and parts[-1].isdigit() else None
    if parts == ["granian"]:
        return ServerConfig(text, "granian", None, threads or 8)
    if len(parts) == 2 and parts[0] == "gunicorn" and parts[1] in ("gevent", "gthread", "sync"):
        if threads and parts[1] != "gthread":
            raise ValueError(f"{text}: only gthread workers take a thread count")
        return ServerConfig(text, "gunicorn", parts[1], threads or 4)
    raise ValueError(f"{text!r} is not gunicorn-gevent, gunicorn-sync, gunicorn-gthread[-N] or "
                     "granian[-N]")  # fmt: skip


def against(config: ServerConfig, checkout: Path) -> ServerConfig:
    """The same configuration serving the app of another checkout, labelled with its name."""
    return replace(config, label=f"{config.label}@{checkout.name}", checkout=checkout)


def under_python(config: ServerConfig, python: str, version: str) -> ServerConfig:
    """The same configuration run by another interpreter, labelled with its version."""
    return replace(config, label=f"{config.label}@py{version}", python=python)
