"""Which resource limited a run, as one line with the figure that shows it (pure functions).

Each resource the report has a figure for becomes a Candidate: how busy it was against its own
limit (API workers' CPU against their cores, each Redis main thread against one core, the
balancer against its threads, a network link against its speed, the busiest load-generator
process against Locust's saturation limit). The busiest candidate at or above its threshold is
the bottleneck. A saturated load generator always wins: the run then measured Locust, and
the validity verdict says SUSPECT. Other checks (connection slots, ...) add candidates with
`extra=` without touching the rules here.
"""

from dataclasses import dataclass, field

AT_LIMIT = 0.85  # a resource this busy on average is where the run stopped scaling
HOST_AT_LIMIT = 0.90  # a whole host: only when no service on it is at its own limit
LOAD_GENERATOR_LIMIT_PCT = 90.0  # the validity verdict's limit for one Locust process


@dataclass(frozen=True)
class Candidate:
    resource: str  # "API workers' CPU", "Redis main thread (shard 127.0.0.1:7001)", ...
    used: float  # in `unit`
    limit: float  # in `unit`; used/limit is the utilisation
    unit: str  # "%", "bytes/s" or any other unit (a count: "slots")
    threshold: float = AT_LIMIT
    decisive: bool = False  # a saturated load generator: the run measured the generator

    @property
    def utilisation(self) -> float:
        return self.used / self.limit if self.limit else 0.0

    def figure(self) -> str:
        if self.unit == "bytes/s":
            return f"{self.used / 1e6:.1f} of {self.limit / 1e6:.1f} MB/s"
        if self.unit == "%":
            return f"{self.used:.0f} % of {self.limit:.0f} %"
        return f"{self.used:g} of {self.limit:g} {self.unit}".rstrip()


@dataclass
class Facts:
    """The figures one report already has, averaged over the run's window."""

    api_cpu_percent: float | None = None  # all API processes, % of one core (200 = 2 cores)
    api_cores: float | None = None  # cores the API processes can use
    redis_main_thread_percent: dict[str, float] = field(default_factory=dict)  # per shard
    balancer_cpu_percent: float | None = None  # % of the balancer's threads in use
    network_bytes_per_s: dict[str, float] = field(default_factory=dict)  # per host
    network_capacity_bytes_per_s: dict[str, float] = field(default_factory=dict)  # per host
    load_generator_cpu_percent: float | None = None  # busiest Locust process
    load_generator_flagged: bool = False  # the saturation guard fired
    host_cpu_percent: dict[str, float] = field(default_factory=dict)  # per host, all cores


def candidates(facts: Facts) -> list[Candidate]:
    found = []
    if facts.load_generator_flagged or (
        facts.load_generator_cpu_percent is not None
        and facts.load_generator_cpu_percent >= LOAD_GENERATOR_LIMIT_PCT
    ):
        used = facts.load_generator_cpu_percent or LOAD_GENERATOR_LIMIT_PCT
        found.append(Candidate("the load generator (busiest Locust process's CPU)", used,
                               LOAD_GENERATOR_LIMIT_PCT, "%", decisive=True))  # fmt: skip
    if facts.api_cpu_percent is not None and facts.api_cores:
        found.append(Candidate("API workers' CPU", facts.api_cpu_percent,
                               100.0 * facts.api_cores, "%"))  # fmt: skip
    for shard, percent in sorted(facts.redis_main_thread_percent.items()):
        name = "Redis main thread" + (
            f" (shard {shard})" if len(facts.redis_main_thread_percent) > 1 else ""
        )
        found.append(Candidate(name, percent, 100.0, "%"))
    if facts.balancer_cpu_percent is not None:
        found.append(
            Candidate("the balancer's CPU (HAProxy)", facts.balancer_cpu_percent, 100.0, "%")
        )
    for host, rate in sorted(facts.network_bytes_per_s.items()):
        capacity = facts.network_capacity_bytes_per_s.get(host)
        if capacity:
            found.append(Candidate(f"the network ({host})", rate, capacity, "bytes/s"))
    return found


def host_candidates(facts: Facts) -> list[Candidate]:
    """Whole hosts: on one box every tier shares the same cores, so the host can be full while
    no single service is at its own limit."""
    return [
        Candidate(
            f"the CPU of host {host}, shared by the services on it",
            pct,
            100.0,
            "%",
            threshold=HOST_AT_LIMIT,
        )
        for host, pct in sorted(facts.host_cpu_percent.items())
    ]


def line(facts: Facts, extra: list[Candidate] | None = None, named: list[str] | None = None) -> str:
    """'Bottleneck: <resource> — <figure>' or why none could be named. `named`: limits other
    checks found outright (the API's connection slots full): they win over utilisation rules,
    but not over a saturated load generator, which makes every other figure doubtful."""
    found = candidates(facts) + list(extra or [])
    decisive = [c for c in found if c.decisive]
    if decisive:
        top = max(decisive, key=lambda c: c.utilisation)
        return f"Bottleneck: {top.resource} — {top.figure()}; the run is SUSPECT"
    if named:
        return "Bottleneck: " + "; ".join(named)
    at_limit = [c for c in found if c.utilisation >= c.threshold]
    if at_limit:
        top = max(at_limit, key=lambda c: c.utilisation)
        return f"Bottleneck: {top.resource} — {top.figure()}"
    hosts = [c for c in host_candidates(facts) if c.utilisation >= c.threshold]
    busiest = max(found, key=lambda c: c.utilisation) if found else None
    detail = f"; busiest service: {busiest.resource}, {busiest.figure()}" if busiest else ""
    if hosts:
        top = max(hosts, key=lambda c: c.utilisation)
        return f"Bottleneck: {top.resource} — {top.figure()}{detail}"
    if busiest is None:
        return "Bottleneck: not known — the report has no CPU or network figures for the tiers"
    return (
        f"Bottleneck: none of the measured resources was at its limit (busiest: "
        f"{busiest.resource}, {busiest.figure()}); the offered load (users and their wait "
        f"time) limited the run"
    )
