"""Is the load generator's host the bottleneck? Co-location and host CPU over the run's window.

A Locust worker at 25 % of a core can still be starved: when the host it runs on is busy,
its requests wait in the host's run queue and that wait ends up in the response times. So
the verdict looks at every host that runs a load generator, not only at Locust's processes.

run.json's `hosts` say which roles ran where. A host may also say which CPUs each role was
pinned to, `"cpus": {"locust": [0], "app": [1], "redis": [1]}` (rig local's core split);
without that, roles on one host share all of its cores.
"""

from reports import resources
from reports.run_dir import Run

BUSY_HOST_PCT = 90.0  # a load generator's host busier than this queues the load generator
LOADGEN_ROLES = {"locust", "locust_master", "locust_worker"}
SERVICE_ROLES = {"app", "redis", "loadbalancer", "haproxy"}


def loadgen_hosts(run: Run, metrics: dict) -> list[str]:
    """Hosts that ran a load generator: run.json's roles, else every host the psutil sampler
    watched (it runs beside Locust on the box of `rig local`)."""
    hosts = run.info.get("hosts") or {}
    named = [name for name, h in sorted(hosts.items()) if LOADGEN_ROLES & _roles(h)]
    if named or hosts:
        return named
    if metrics.get("source") == "psutil":
        return sorted({s["host"] for s in metrics.get("series", []) if s["scope"] == "host"})
    return []


def _roles(host: dict) -> set[str]:
    return set((host or {}).get("roles") or [])


def _cpus(host: dict, roles: set[str]) -> set[int] | None:
    """The CPUs `roles` were pinned to on `host`, or None when any of them was not pinned."""
    pinned = (host or {}).get("cpus")
    if not isinstance(pinned, dict):
        return None
    cpus: set[int] = set()
    for role in roles:
        listed = pinned.get(role)
        # Anything but a list of CPU numbers counts as not pinned: the safe reading.
        if not isinstance(listed, list) or not listed:
            return None
        if not all(isinstance(c, int) and not isinstance(c, bool) for c in listed):
            return None
        cpus |= set(listed)
    return cpus


def colocation_reasons(run: Run) -> list[str]:
    """One reason per host where a load generator and a service under test share CPUs."""
    reasons = []
    for name, host in sorted((run.info.get("hosts") or {}).items()):
        loadgen, services = LOADGEN_ROLES & _roles(host), SERVICE_ROLES & _roles(host)
        if not loadgen or not services:
            continue
        mine, theirs = _cpus(host, loadgen), _cpus(host, services)
        if mine is not None and theirs is not None and not mine & theirs:
            continue  # pinned to separate cores
        shared = (
            "all of its cores"
            if mine is None or theirs is None
            else ("CPUs " + ",".join(str(c) for c in sorted(mine & theirs)))
        )
        reasons.append(
            f"the load generator shares {shared} with the service under test on {name} "
            f"({', '.join(sorted(loadgen))} beside {', '.join(sorted(services))}): its own "
            "CPU queueing is part of the response times"
        )
    return reasons


def _averages(metrics: dict, key: str) -> dict[str, float]:
    return {
        s["host"]: resources.summarize(s["points"])["avg"]
        for s in metrics.get("series", [])
        if s["key"] == key and s["points"]
    }


def busy_host_reasons(run: Run, metrics: dict, limit: float = BUSY_HOST_PCT) -> list[str]:
    """One reason per load-generator host whose CPU averaged above `limit` over the window.

    On a host where the load generator was pinned to its own CPUs, its own CPUs are what
    count: the Locust processes' CPU over the number of CPUs they had."""
    hosts = run.info.get("hosts") or {}
    host_cpu = _averages(metrics, "cpu_percent")
    locust_cpu = _averages(metrics, "locust_cpu_percent")
    reasons = []
    for name in loadgen_hosts(run, metrics):
        pinned = _cpus(hosts.get(name) or {}, LOADGEN_ROLES & _roles(hosts.get(name) or {}))
        if pinned and name in locust_cpu:
            busy = locust_cpu[name] / len(pinned)
            what = f"the load generator's {len(pinned)} pinned CPU(s) on {name}"
        elif name in host_cpu:
            busy = host_cpu[name]
            what = f"host {name}, which runs a load generator,"
        else:
            continue
        if busy > limit:
            reasons.append(
                f"{what} averaged {busy:.1f} % busy over the run (limit {limit:.0f} %): "
                "the load generator waited for CPU and the latencies include that wait"
            )
    return reasons
