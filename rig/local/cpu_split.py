"""Which CPUs the load generator and the service under test get on one box, and pinning them.

A load generator that shares its cores with the API and Redis waits for CPU, and that wait
is counted as response time. `rig local` therefore splits the box's CPUs: Locust on some,
the API and Redis on the others. Locust's FastHttpUser sends about three requests for each
one the API can serve on the same CPU time (docs: performance calibration), so the load
generator gets a quarter of the CPUs on a box of 4 or more (see MIN_CPUS_AUTO_SPLIT).
"""

import os
import re
from dataclasses import dataclass

import psutil

from rig.errors import RigError

# Below this many CPUs no automatic split: on 2 CPUs Locust's master and workers crowd onto
# one and, on a busy box, miss their heartbeats (seen here: 5 of 10 pinned runs lost every
# worker, 2 of 10 shared ones). --cpus-loadgen/--cpus-service still split a small box.
MIN_CPUS_AUTO_SPLIT = 4
LOADGEN_ROLES = ("locust",)
SERVICE_ROLES = ("app", "redis")


@dataclass(frozen=True)
class CpuSplit:
    loadgen: tuple[int, ...] | None  # None: not pinned, shares every CPU
    service: tuple[int, ...] | None
    how: str  # one line for the user: what was chosen and why

    @property
    def separate(self) -> bool:
        return (
            self.loadgen is not None
            and self.service is not None
            and not set(self.loadgen) & set(self.service)
        )

    def run_json(self) -> dict[str, list[int]]:
        """run.json's hosts[HOST]["cpus"]: role -> CPUs, only for the roles that were pinned."""
        cpus: dict[str, list[int]] = {}
        for roles, listed in ((LOADGEN_ROLES, self.loadgen), (SERVICE_ROLES, self.service)):
            if listed is not None:
                cpus.update({role: list(listed) for role in roles})
        return cpus


def available() -> list[int]:
    """The CPUs this process may run on (a container or taskset may allow fewer than exist)."""
    return sorted(os.sched_getaffinity(0))


def parse_cpus(text: str, allowed: list[int], option: str) -> tuple[int, ...]:
    """A CPU list as taskset writes it ("0", "0-2", "0,2-3"); RigError when malformed."""
    if not re.fullmatch(r"\d+(-\d+)?(,\d+(-\d+)?)*", str(text).strip()):
        raise RigError(f"{option} {text!r} is not a CPU list like 0, 0-2 or 0,2-3")
    cpus: set[int] = set()
    for part in str(text).strip().split(","):
        low, _, high = part.partition("-")
        first, last = int(low), int(high or low)
        if last < first:
            raise RigError(f"{option} {text!r}: the range {part} runs backwards")
        if last - first > 4096:
            raise RigError(f"{option} {text!r}: the range {part} is beyond any machine")
        cpus.update(range(first, last + 1))
    outside = sorted(cpus - set(allowed))
    if outside:
        raise RigError(
            f"{option} {text!r}: CPU(s) {','.join(map(str, outside))} are not available here "
            f"(this process may use {format_cpus(allowed)})"
        )
    return tuple(sorted(cpus))


def format_cpus(cpus) -> str:
    return ",".join(str(c) for c in sorted(cpus))


def choose(
    loadgen: str | None, service: str | None, split: bool = True, allowed: list[int] | None = None
) -> CpuSplit:
    """The split from --cpus-loadgen/--cpus-service, else an automatic one when the box has
    MIN_CPUS_AUTO_SPLIT CPUs or more, else none (also with `split` False)."""
    allowed = available() if allowed is None else allowed
    if loadgen or service:
        mine = parse_cpus(loadgen, allowed, "--cpus-loadgen") if loadgen else None
        theirs = parse_cpus(service, allowed, "--cpus-service") if service else None
        if mine is None:  # the rest of the box
            mine = tuple(c for c in allowed if c not in set(theirs))
        if theirs is None:
            theirs = tuple(c for c in allowed if c not in set(mine))
        if not mine or not theirs:
            raise RigError("--cpus-loadgen and --cpus-service leave one side without a CPU")
        shared = set(mine) & set(theirs)
        note = f" (sharing CPU {format_cpus(shared)}: the run will be SUSPECT)" if shared else ""
        how = (
            f"CPUs: load generator on {format_cpus(mine)}, API and Redis on "
            f"{format_cpus(theirs)} (as asked){note}"
        )
        return CpuSplit(mine, theirs, how)
    shared = "the load generator shares every CPU with the API and Redis; the run will be SUSPECT"
    if not split:
        return CpuSplit(None, None, f"CPUs: no split (--no-cpu-split): {shared}")
    if len(allowed) < MIN_CPUS_AUTO_SPLIT:
        return CpuSplit(
            None,
            None,
            f"CPUs: no automatic split on {len(allowed)} CPU(s) (it needs "
            f"{MIN_CPUS_AUTO_SPLIT}): {shared}; --cpus-loadgen/--cpus-service split anyway",
        )
    count = max(1, len(allowed) // 4)
    mine, theirs = tuple(allowed[-count:]), tuple(allowed[:-count])
    how = (
        f"CPUs: load generator on {format_cpus(mine)}, API and Redis on {format_cpus(theirs)} "
        f"(automatic split of {len(allowed)} CPUs; --cpus-loadgen/--cpus-service to choose, "
        "--no-cpu-split to share)"
    )
    return CpuSplit(mine, theirs, how)


def pin(pid: int, cpus: tuple[int, ...] | None) -> None:
    """Pin `pid` and every descendant it has now; children forked later inherit the mask."""
    if cpus is None:
        return
    try:
        root = psutil.Process(pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.Error:
        return  # gone already: the run notices that on its own
    for proc in tree:
        try:
            proc.cpu_affinity(list(cpus))
        except psutil.Error:
            continue  # a process that ended in between
