"""The capacity chart: throughput and p95 against users, one point per step."""

from pathlib import Path

from reports import charts
from reports.capacity import Capacity


def capacity(result: Capacity, path: Path) -> bool:
    steps = sorted(result.steps, key=lambda s: s.users)
    if not steps:
        return False
    fig, (ax,) = charts.figure(dates=False)
    users = [s.users for s in steps]
    ax.plot(users, [s.rps for s in steps], marker="o", label="requests/s")
    ax.set_xlabel("users")
    ax.set_ylabel("requests/s")
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    latency = ax.twinx()
    shown = [(s.users, s.p95_ms) for s in steps if s.p95_ms is not None]
    latency.plot([u for u, _ in shown], [p for _, p in shown], marker="s", color="tab:orange",
                 label="p95 (ms)")  # fmt: skip
    latency.set_ylabel("p95 (ms)")
    latency.set_ylim(bottom=0)
    if "p95_ms" in result.gates:
        latency.axhline(result.gates["p95_ms"], color="tab:orange", linestyle=":",
                        label=f"p95 gate {result.gates['p95_ms']:g} ms")  # fmt: skip
    if result.knee:
        ax.axvline(result.knee.users, color="tab:grey", linestyle="--",
                   label=f"knee: {result.knee.users} users")  # fmt: skip
    if result.first_broke:
        ax.axvline(result.first_broke.users, color="tab:red", linestyle="--",
                   label=f"first broken step: {result.first_broke.users} users")  # fmt: skip
    lines, labels = ax.get_legend_handles_labels()
    more_lines, more_labels = latency.get_legend_handles_labels()
    # Above the plot: inside, it would cover the points of the last steps.
    fig.legend(lines + more_lines, labels + more_labels, loc="upper center", ncols=3,
               fontsize="x-small", frameon=False, bbox_to_anchor=(0.5, 1.0))  # fmt: skip
    charts.save(fig, path)
    return True
