"""Creates the documents that read and update tasks address (ids seed-000000, seed-000001, ...).

Used by the plugin at test start on the master and by `rig seed` before a distributed run.
Seeding stores each id with POST ?id=, which replaces an existing document, so it can run again.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests

from loadgen import documents
from rundir.errors import RigError

KINDS = ("json", "string")


@dataclass
class SeedResult:
    count: int
    size: str
    kinds: tuple[str, ...]
    created: int
    seconds: float


def seed(
    host: str,
    count: int,
    size: str = "15k",
    kinds: tuple[str, ...] = KINDS,
    concurrency: int = 8,
    timeout: float = 30.0,
) -> SeedResult:
    """Create `count` documents of each kind on the API at `host`; RigError on the first failure."""
    documents.check_size(size)
    if count < 0:
        raise RigError("the seed count must be 0 or more")
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise RigError(f"unknown document kind(s) {sorted(unknown)}; known: {', '.join(KINDS)}")
    base = host.rstrip("/")
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=concurrency)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    headers = {"Content-Type": "application/json"}

    def create(job: tuple[str, int]) -> None:
        kind, index = job
        url = f"{base}/api/v1/add_{kind}"
        body = documents.body(index, size)
        try:
            response = session.post(
                url,
                params={"id": documents.seed_id(index)},
                data=body,
                headers=headers,
                timeout=timeout,
            )
        except requests.RequestException as exc:
            raise RigError(f"seeding failed: {url}: {exc}") from exc
        if response.status_code != 201:
            raise RigError(
                f"seeding failed: POST {url}?id={documents.seed_id(index)} answered "
                f"{response.status_code}: {response.text[:200]}"
            )

    started = time.monotonic()
    jobs = [(kind, index) for index in range(count) for kind in kinds]
    with session, ThreadPoolExecutor(max_workers=concurrency) as executor:
        for _ in executor.map(create, jobs):
            pass
    return SeedResult(count, size, tuple(kinds), len(jobs), time.monotonic() - started)
