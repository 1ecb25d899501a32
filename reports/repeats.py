"""Repeated runs: a parent directory of run directories, summed up as median and CV per figure.

`rig local --repeat N` writes RESULTS/REPEAT_ID/ with one run directory per repeat and
repeats.md beside them. One run of a benchmark is one draw from the bench's noise; the
median of N draws with its coefficient of variation (CV) says what the figure is and how
far to trust it.
"""

import statistics
from dataclasses import dataclass
from pathlib import Path

from reports import compare, figures, history, render, run_dir

REPEATS_MD = "repeats.md"
NOISY_CV_PCT = 5.0  # a figure whose repeats spread more than this is marked noisy


class RepeatsError(run_dir.RunDirError):
    """The directory is neither a run directory nor a parent of run directories."""


@dataclass(frozen=True)
class Spread:
    median: float | None
    cv_pct: float | None  # None with fewer than 2 values
    n: int

    @property
    def noisy(self) -> bool:
        return self.cv_pct is not None and self.cv_pct > NOISY_CV_PCT


def is_repeat_set(path: Path) -> bool:
    path = Path(path)
    return (
        path.is_dir()
        and not (path / run_dir.RUN_JSON).is_file()
        and any((child / run_dir.RUN_JSON).is_file() for child in path.iterdir())
    )


def load_set(path: Path) -> list[run_dir.Run]:
    """The runs of a run directory ([that run]) or of a repeat set (each child, oldest first)."""
    path = Path(path)
    if not is_repeat_set(path):
        return [run_dir.load(path, with_history=False)]
    runs = [
        run_dir.load(child, with_history=False)
        for child in sorted(path.iterdir())
        if (child / run_dir.RUN_JSON).is_file()
    ]
    return sorted(runs, key=lambda r: r.start)


def spread(values: list[float | None]) -> Spread:
    known = [v for v in values if v is not None]
    if not known:
        return Spread(None, None, 0)
    cv = compare.cv_pct(known) if len(known) >= 2 else None
    return Spread(statistics.median(known), cv, len(known))


def spreads(runs: list[run_dir.Run]) -> dict[str, Spread]:
    """Median and CV of each key figure over `runs`."""
    figs = [figures.key_figures(r) for r in runs]
    return {m.key: spread([f.get(m.key) for f in figs]) for m in compare.METRICS}


def medians(runs: list[run_dir.Run]) -> dict[str, float | None]:
    """The key figures of a repeat set as one run's: each the median over the repeats."""
    return {key: s.median for key, s in spreads(runs).items()}


def history_before(runs: list[run_dir.Run], results_dir: Path) -> list[dict[str, float | None]]:
    """Key figures of what ran before this set in `results_dir` with its scenario on its
    bench, oldest first: single runs as they are, earlier repeat sets as their medians."""
    first, inside = runs[0], {r.path.resolve() for r in runs}
    entries: list[tuple[float, dict]] = []
    for run in history.runs_in(results_dir):
        if history.same_bench(run, first) and run.start < first.start:
            entries.append((run.start, figures.key_figures(run)))
    for child in sorted(Path(results_dir).iterdir()) if Path(results_dir).is_dir() else []:
        if not is_repeat_set(child):
            continue
        try:
            others = load_set(child)
        except run_dir.RunDirError:
            continue  # a broken set must not stop this one's summary
        if others[0].path.resolve() in inside or not history.same_bench(others[0], first):
            continue
        if others[0].start < first.start:
            entries.append((others[0].start, medians(others)))
    return [figs for _start, figs in sorted(entries, key=lambda e: e[0])]


def comparison_lines(runs: list[run_dir.Run], results_dir: Path) -> list[str]:
    past = history_before(runs, results_dir)
    if not past:
        return ["No earlier run or repeat set of this scenario on this bench."]
    results = compare.compare_all(past, medians(runs))
    lines = [
        f"The medians against {len(past)} earlier run(s) or repeat set(s) (sets count as their "
        f"medians). {compare.judged_by(results, len(past))}",
        "",
        "| Figure | Baseline | Median | Delta | Baseline CV | Status |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for c in results:
        cv = "—" if c.cv_pct is None else f"{c.cv_pct:.1f} %"
        lines.append(
            f"| {c.metric.label} | {compare.format_value(c.metric, c.baseline)} | "
            f"{compare.format_value(c.metric, c.value)} | {compare.format_delta(c)} | {cv} | "
            f"{c.status} |"
        )
    return lines


def sets_in(results_dir: Path) -> list[list[run_dir.Run]]:
    """Every loadable repeat set directly under `results_dir`, newest first."""
    sets = []
    for child in sorted(Path(results_dir).iterdir()) if Path(results_dir).is_dir() else []:
        if not is_repeat_set(child):
            continue
        try:
            sets.append(load_set(child))
        except run_dir.RunDirError:
            continue  # a broken set must not stop the index
    return sorted(sets, key=lambda runs: runs[0].start, reverse=True)


def _with_cv(by_key: dict[str, Spread], key: str) -> str:
    s = by_key[key]
    metric = next(m for m in compare.METRICS if m.key == key)
    cv = "" if s.cv_pct is None else f" ({s.cv_pct:.1f} %{', noisy' if s.noisy else ''})"
    return compare.format_value(metric, s.median) + cv


def index_rows(results_dir: Path) -> list[dict]:
    """index.md's rows for the repeat sets: medians with their CV, a link to repeats.md."""
    rows = []
    for runs in sets_in(results_dir):
        by_key = spreads(runs)
        parent = runs[0].path.parent

        rows.append(
            {
                "date": render.utc(runs[0].start),
                "scenario": render.cell(runs[0].scenario),
                "repeats": len(runs),
                "rps": _with_cv(by_key, "rps"),
                "p95": _with_cv(by_key, "p95"),
                "name": render.cell(parent.name),
                "link": f"{parent.name}/{REPEATS_MD}" if (parent / REPEATS_MD).is_file() else "#",
            }
        )
    return rows


def render_repeats(runs: list[run_dir.Run], results_dir: Path | None = None) -> str:
    by_key = spreads(runs)
    lines = [
        f"# {render.cell(runs[0].scenario)}: {len(runs)} repeats",
        "",
        f"Each figure is the median over the repeats with its coefficient of variation (CV); "
        f"a CV above {NOISY_CV_PCT:g} % is marked noisy: a difference smaller than the spread "
        "says nothing.",
        "",
        "| Figure | Median | CV | Repeats | Note |",
        "| --- | --- | --- | --- | --- |",
    ]
    for metric in compare.METRICS:
        s = by_key[metric.key]
        cv = "—" if s.cv_pct is None else f"{s.cv_pct:.1f} %"
        note = "noisy" if s.noisy else ""
        value = compare.format_value(metric, s.median)
        lines.append(f"| {metric.label} | {value} | {cv} | {s.n} | {note} |")
    lines += [
        "",
        "| Repeat | RPS | p95 (ms) | Validity | Report |",
        "| --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        figs = figures.key_figures(run)
        validity = (run.report or run.info.get("report") or {}).get("validity", "—")
        link = f"{run.path.name}/{run_dir.SUMMARY_MD}"
        lines.append(
            f"| {render.cell(run.run_id)} | {compare.format_value(compare.METRICS[0], figs['rps'])}"
            f" | {compare.format_value(compare.METRICS[2], figs['p95'])} | {validity} | "
            f"[summary]({link}) |"
        )
    if results_dir is not None:
        lines += ["", "## Comparison", "", *comparison_lines(runs, results_dir)]
    return "\n".join(lines) + "\n"


def write_repeats(parent: Path, results_dir: Path | None = None) -> Path:
    """repeats.md in a repeat set's directory, from the run directories in it; compared with
    the history in `results_dir` (default: the set's parent directory)."""
    parent = Path(parent)
    if not is_repeat_set(parent):
        raise RepeatsError(f"{parent} holds no run directories")
    runs = load_set(parent)
    path = parent / REPEATS_MD
    tmp = path.with_name(REPEATS_MD + ".tmp")
    results_dir = Path(results_dir) if results_dir else parent.resolve().parent
    tmp.write_text(render_repeats(runs, results_dir), encoding="utf-8")
    tmp.replace(path)
    if results_dir == parent.resolve().parent:
        history.write_index(results_dir)  # the set's row in the results directory's index.md
    return path
