"""The sweep's grid: from the command line (key=v1,v2 ...) or a YAML file, expanded to points.

Dimensions: server (gunicorn, granian), worker_class (Gunicorn's: gevent, gthread, sync),
workers and threads (gthread threads, Granian blocking threads). Combinations that mean
nothing (a worker class under Granian, threads under gevent or sync) are skipped and listed;
the first of the equivalent combinations runs.
"""

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from rig.errors import RigError
from rig.serve import SERVERS

WORKER_CLASSES = ("gevent", "gthread", "sync")
DIMENSIONS = ("server", "worker_class", "workers", "threads")
DEFAULTS = {"server": ["gunicorn"], "worker_class": ["gevent"], "workers": [1], "threads": [4]}
MAX_POINTS = 100  # a typo in a grid should not book the box for a day
MAX_WORKERS = 64
MAX_THREADS = 1024


@dataclass(frozen=True)
class Point:
    server: str
    worker_class: str | None  # None under Granian
    workers: int
    threads: int | None  # None for gevent and sync, whose workers have no thread pool
    env: tuple[tuple[str, str], ...] = field(default=())  # extra RIG_* settings of the API

    @property
    def label(self) -> str:
        parts = [self.server, self.worker_class, f"{self.workers}w"]
        parts.append(f"{self.threads}t" if self.threads else None)
        parts += [f"{k}={v}" for k, v in self.env]
        return " ".join(p for p in parts if p)


@dataclass
class Grid:
    points: list[Point]
    skipped: list[tuple[str, str]]  # (combination, why)


def _values(key: str, raw) -> list:
    items = raw if isinstance(raw, list) else str(raw).split(",")
    items = [str(i).strip().lower() for i in items if str(i).strip()]
    if not items:
        raise RigError(f"grid: {key} has no values")
    if key == "server":
        bad = [i for i in items if i not in SERVERS]
        allowed = SERVERS
    elif key == "worker_class":
        bad = [i for i in items if i not in WORKER_CLASSES]
        allowed = WORKER_CLASSES
    else:
        limit = MAX_WORKERS if key == "workers" else MAX_THREADS
        bad = [i for i in items if not (i.isascii() and i.isdigit()) or not 1 <= int(i) <= limit]
        allowed = (f"whole numbers from 1 to {limit}",)
        if not bad:
            items = [int(i) for i in items]
    if bad:
        raise RigError(f"grid: {key}={','.join(map(str, bad))} is not one of {', '.join(allowed)}")
    return list(dict.fromkeys(items))  # each value once, in the order given


def parse_args(tokens: list[str]) -> dict[str, list]:
    """`server=gunicorn,granian workers=1,2` -> {"server": [...], "workers": [1, 2]}."""
    grid: dict[str, list] = {}
    for token in tokens:
        key, sep, raw = token.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in DIMENSIONS:
            raise RigError(
                f"grid: {token!r} is not KEY=V1,V2 with KEY one of {', '.join(DIMENSIONS)}"
            )
        if key in grid:
            raise RigError(f"grid: {key} is given twice")
        grid[key] = _values(key, raw)
    return grid


def load_file(path: Path) -> tuple[dict[str, list], list[dict]]:
    """A YAML grid file: `grid:` (dimension -> list) and optional `points:` given one by one."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise RigError(f"grid file {path}: {exc}".splitlines()[0]) from None
    return from_data(data, f"grid file {path}")


def from_data(data, source: str = "grid") -> tuple[dict[str, list], list[dict]]:
    """A grid file's content, already parsed (a mapping with `grid:` and/or `points:`)."""
    if not isinstance(data, dict) or not data or not set(data) <= {"grid", "points"}:
        raise RigError(f"{source}: expected a mapping with `grid:` and/or `points:`")
    grid = data.get("grid") or {}
    points = data.get("points") or []
    if not isinstance(grid, dict) or not isinstance(points, list):
        raise RigError(f"{source}: `grid` must be a mapping and `points` a list")
    unknown = set(grid) - set(DIMENSIONS)
    if unknown:
        raise RigError(f"{source}: unknown dimension {', '.join(sorted(map(str, unknown)))}")
    return {k: _values(k, v) for k, v in grid.items()}, points


def _point(combo: dict, env: dict | None = None) -> tuple[Point, str | None]:
    """The point a combination means, and why it is a duplicate of another one (or None)."""
    server, worker_class = combo["server"], combo["worker_class"]
    threads, why = combo["threads"], None
    if server == "granian":
        worker_class = None
        if combo["worker_class"] != combo["first_class"]:
            why = "worker_class with granian (Granian has no worker classes)"
    elif worker_class != "gthread":
        threads = None
        if combo["threads"] != combo["first_threads"]:
            why = f"threads with {worker_class} (threads are gthread's and Granian's)"
    pairs = tuple(sorted((str(k), str(v)) for k, v in (env or {}).items()))
    return Point(server, worker_class, combo["workers"], threads, pairs), why


def _extra_point(entry) -> Point:
    if not isinstance(entry, dict) or not set(entry) <= {*DIMENSIONS, "env"}:
        raise RigError(f"grid file: a point must be a mapping of {', '.join(DIMENSIONS)}, env")
    env = entry.get("env") or {}
    if not isinstance(env, dict) or not all(str(k).startswith("RIG_") for k in env):
        raise RigError("grid file: a point's env must map RIG_* names to values")
    combo = {k: _values(k, entry.get(k, DEFAULTS[k]))[0] for k in DIMENSIONS}
    combo.update(first_class=combo["worker_class"], first_threads=combo["threads"])
    return _point(combo, env)[0]


def expand(grid: dict[str, list], extra: list[dict] | None = None) -> Grid:
    full = {k: grid.get(k, DEFAULTS[k]) for k in DIMENSIONS}
    points: list[Point] = []
    skipped: list[tuple[str, str]] = []
    for values in itertools.product(*(full[k] for k in DIMENSIONS)):
        combo = dict(zip(DIMENSIONS, values, strict=True))
        combo.update(first_class=full["worker_class"][0], first_threads=full["threads"][0])
        point, why = _point(combo)
        shown = " ".join(f"{k}={combo[k]}" for k in DIMENSIONS)
        if why:
            skipped.append((shown, why))
        elif point in points:
            skipped.append((shown, f"the same setting as {point.label}"))
        else:
            points.append(point)
    for entry in extra or []:
        point = _extra_point(entry)
        if point not in points:
            points.append(point)
    if len(points) > MAX_POINTS:
        raise RigError(f"grid: {len(points)} points is more than {MAX_POINTS}; narrow it")
    return Grid(points, skipped)
