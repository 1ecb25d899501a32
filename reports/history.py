"""Finds a run's predecessors in a results directory and lists every run for index.md."""

from pathlib import Path

from reports import canary, figures, render, run_dir, trends
from reports.compare import BASELINE_RUNS


def runs_in(results_dir: Path) -> list[run_dir.Run]:
    """Every loadable run directory directly under `results_dir`, oldest first."""
    runs = []
    if not results_dir.is_dir():
        return runs
    for child in results_dir.iterdir():
        if not (child / run_dir.RUN_JSON).is_file():
            continue
        try:
            runs.append(run_dir.load(child, with_history=False))
        except run_dir.RunDirError:
            continue  # an unfinished or broken run must not stop the others' report
    return sorted(runs, key=lambda r: r.start)


def same_bench(a: run_dir.Run, b: run_dir.Run) -> bool:
    return a.scenario == b.scenario and a.info.get("bench") == b.info.get("bench")


def earlier_runs(
    run: run_dir.Run, results_dir: Path, limit: int | None = BASELINE_RUNS
) -> list[run_dir.Run]:
    """The last `limit` runs (None: all) of the same scenario on the same bench that started
    before `run`, oldest first."""
    earlier = [
        r
        for r in runs_in(results_dir)
        if r.path.resolve() != run.path.resolve() and r.start < run.start and same_bench(r, run)
    ]
    return earlier[-limit:] if limit else earlier


def _fmt(value: float | None, pattern: str) -> str:
    return "—" if value is None else pattern.format(value)


def index_rows(runs: list[run_dir.Run]) -> list[dict]:
    rows = []
    for run in reversed(runs):
        figs = figures.key_figures(run)
        # Run directories reported before report.json existed keep it inside run.json.
        report = run.report or run.info.get("report") or {}
        link = f"{run.path.name}/{run_dir.SUMMARY_MD}"
        rows.append(
            {
                "date": render.utc(run.start),
                "scenario": render.cell(run.scenario),
                "rps": _fmt(figs["rps"], "{:,.1f}"),
                "p95": _fmt(figs["p95"], "{:,.0f}"),
                "fails": f"{figs['failures']:.0f}",
                "slo": report.get("slo", "—"),
                "validity": report.get("validity", "—"),
                "run_id": render.cell(run.run_id),
                "link": link if (run.path / run_dir.SUMMARY_MD).is_file() else "#",
            }
        )
    return rows


def write_index(results_dir: Path) -> Path:
    path = results_dir / "index.md"
    tmp = path.with_name("index.md.tmp")
    runs = runs_in(results_dir)
    trend_rows = [
        {
            "scenario": render.cell(t.scenario),
            "bench": render.cell(t.bench),
            "chart": t.chart,
            "note": render.cell(trends.describe(t)),
        }
        for t in trends.build(results_dir, runs)
    ]
    from reports import repeats  # it reads runs through this module: import it late

    sets, canaries = repeats.index_rows(results_dir), canary.index_rows(results_dir)
    text = render.render_index(index_rows(runs), trend_rows, sets, canaries)
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
