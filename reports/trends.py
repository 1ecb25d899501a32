"""Trend charts for index.md: RPS and p95 of each scenario over its runs, change points marked."""

import re
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
# The backend is chosen before pyplot is imported: no display on servers and in CI.
import matplotlib.pyplot as plt

from reports import changepoints, figures, run_dir

TRENDS_DIR = "trends"
SIZE = (9, 5)
DPI = 100
# (key, label, unit, higher is better)
PANELS = [("rps", "RPS", "req/s", True), ("p95", "p95", "ms", False)]


@dataclass
class Trend:
    scenario: str
    bench: str
    runs: list[run_dir.Run]  # oldest first
    chart: str  # path relative to the results directory
    points: dict[str, list[changepoints.ChangePoint]]  # change points per key figure


def slug(text: str) -> str:
    """A file name from a scenario and bench name, whatever characters they hold."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._") or "scenario"


def group(runs: list[run_dir.Run]) -> dict[tuple[str, str], list[run_dir.Run]]:
    """Runs by (scenario, bench), each list oldest first: only those compare with each other."""
    groups: dict[tuple[str, str], list[run_dir.Run]] = {}
    for run in runs:
        key = (run.scenario, str(run.info.get("bench") or "unknown"))
        groups.setdefault(key, []).append(run)
    return groups


def _bad(point: changepoints.ChangePoint, higher_is_better: bool) -> bool:
    return point.after < point.before if higher_is_better else point.after > point.before


def draw(trend: Trend, values: dict[str, list[float | None]], path: Path) -> None:
    fig, axes = plt.subplots(len(PANELS), 1, figsize=SIZE, sharex=True)
    xs = list(range(1, len(trend.runs) + 1))
    for ax, (key, label, unit, higher_is_better) in zip(axes, PANELS, strict=True):
        known = [(x, v) for x, v in zip(xs, values[key], strict=True) if v is not None]
        ax.plot([x for x, _ in known], [v for _, v in known], marker="o", markersize=3,
                label=label)  # fmt: skip
        for point in trend.points[key]:
            color = "tab:red" if _bad(point, higher_is_better) else "tab:green"
            # Between the last run of the old level and the first of the new one.
            ax.axvline(point.index + 0.5, color=color, linestyle="--", linewidth=1.2)
            where = (point.index + 0.6, 0.92)  # beside the line, near the top of the panel
            ax.annotate(f"{point.change_pct:+.1f} %", where, xycoords=("data", "axes fraction"),
                        color=color, fontsize="small")  # fmt: skip
        ax.set_ylabel(f"{label} ({unit})")
        ax.set_ylim(bottom=0)  # a zero baseline, so the eye does not read noise as a swing
        ax.grid(True, alpha=0.3)
    axes[-1].set_xlabel("run (oldest first)")
    axes[0].set_title(f"{trend.scenario} on {trend.bench}: change points dashed (red: worse)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.png")
    fig.savefig(tmp, dpi=DPI)
    plt.close(fig)
    tmp.replace(path)


def build(results_dir: Path, runs: list[run_dir.Run]) -> list[Trend]:
    """One trend chart per scenario and bench under results_dir/trends/, and what it shows."""
    trends = []
    for (scenario, bench), group_runs in sorted(group(runs).items()):
        name = f"{TRENDS_DIR}/{slug(scenario)}--{slug(bench)}.png"
        values = {key: [figures.key_figures(r)[key] for r in group_runs] for key, *_ in PANELS}
        points = {key: changepoints.detect(series) for key, series in values.items()}
        trend = Trend(scenario, bench, group_runs, name, points)
        draw(trend, values, results_dir / name)
        trends.append(trend)
    return trends


def describe(trend: Trend) -> str:
    """One line for index.md: the change points found, or why there are none."""
    if len(trend.runs) < changepoints.MIN_RUNS:
        return (
            f"{len(trend.runs)} run(s); change points need {changepoints.MIN_RUNS}, "
            "so none are marked yet"
        )
    found = []
    for key, label, _unit, higher_is_better in PANELS:
        for point in trend.points[key]:
            run = trend.runs[point.index]
            word = "worse" if _bad(point, higher_is_better) else "better"
            found.append(f"{label} {point.change_pct:+.1f} % ({word}) at {run.run_id}")
    if not found:
        return f"{len(trend.runs)} runs; no change point"
    return f"{len(trend.runs)} runs; change points: " + "; ".join(found)
