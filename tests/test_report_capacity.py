"""The capacity answer in summary.md: last step that held, first that broke, the knee, the steps
and their chart, for a capacity search (locust_capacity.json) and a step run (the history)."""

import csv
import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from reports import build, capacity, render_capacity
from reports.capacity import Step

FIXTURES = Path(__file__).parent / "fixtures"
CAPACITY_RUN = "20261201T150415Z-capacity"  # a real `rig local --scenario capacity`, short steps
PLAIN_RUN = FIXTURES / "report" / "results" / "20251126T233320Z-post_15k"


def section(text: str, heading: str) -> str:
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def tables(text: str) -> list[list[list[str]]]:
    """Every Markdown table in `text` as rows of cells (header and rule left out)."""
    found, current = [], []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            current.append([c.strip() for c in line.strip()[1:-1].split(" | ")])
        elif current:
            found.append(current[2:])
            current = []
    return found


def figures(cells: list[str]) -> tuple[int, float, float, float, int]:
    users, rps, p95, p99, failures = cells[:5]
    return int(users), float(rps.replace(",", "")), float(p95), float(p99), int(failures.split()[0])


def expected(step: dict) -> tuple[int, float, float, float, int]:
    return step["users"], round(step["rps"], 1), step["p95_ms"], step["p99_ms"], step["failures"]


@pytest.fixture
def capacity_run(tmp_path) -> Path:
    shutil.copytree(FIXTURES / "capacity" / "results", tmp_path / "results")
    return tmp_path / "results" / CAPACITY_RUN


def test_capacity_summary_states_what_locust_capacity_json_holds(capacity_run):
    result = json.loads((capacity_run / "locust_capacity.json").read_text())
    text = build.build(capacity_run).summary.read_text()
    part = section(text, "## Capacity")
    answer, steps = tables(part)
    assert [row[0] for row in answer] == list(render_capacity.ANSWER_ROWS)
    assert figures(answer[0][1:]) == expected(result["last_held"])
    assert figures(answer[1][1:]) == expected(result["broke"])
    # Steps' throughput: 381, 409, 259, 427, 466, 227 req/s; 45 users is the best step and
    # the first within 5 % of it.
    assert figures(answer[2][1:]) == expected(result["steps"][4])
    assert "Knee: throughput stops growing at 45 users" in part
    assert [figures(row) for row in steps] == [expected(s) for s in result["steps"]]
    assert [row[5] for row in steps] == ["held"] * 5 + ["broke p95_ms"]
    assert "p95 ≤ 200 ms, fail ratio ≤ 0.01" in part and "the search ended: a gate broke" in part
    assert "None" not in text.split("## Requests")[0]
    assert (
        "| Load | capacity search: 5 users, +10 every 8 s up to 65 (spawn rate 20 per s) |" in text
    )
    report = json.loads((capacity_run / "report.json").read_text())
    assert report["capacity"] == {
        "last_held_users": 45, "first_broke_users": 55, "knee_users": 45,
    }  # fmt: skip


def test_capacity_chart_is_linked_under_the_capacity_section(capacity_run):
    text = build.build(capacity_run).summary.read_text()
    assert "](charts/capacity.png)" in section(text, "## Capacity")
    with Image.open(capacity_run / "charts" / "capacity.png") as image:
        image.verify()


def test_a_run_at_one_user_count_has_no_capacity_section(tmp_path):
    shutil.copytree(PLAIN_RUN, tmp_path / "run")
    text = build.build(tmp_path / "run").summary.read_text()
    assert "## Capacity" not in text and "capacity.png" not in text
    assert "| Users / spawn rate | 50 / 50 per s |" in text


def test_an_unreadable_capacity_file_is_listed_and_the_report_still_written(capacity_run):
    for content in ("{not json", '{"steps": [{"rps": 3}]}', '{"steps": 5}', "[]"):
        (capacity_run / "locust_capacity.json").write_text(content)
        with pytest.raises(capacity.CapacityError):
            capacity.load(build.run_dir.load(capacity_run))
    report = build.build(capacity_run)
    assert report.missing[-1]["what"] == "capacity answer"
    assert "## Capacity" not in report.summary.read_text()


def steps(*figures: tuple[int, float]) -> list[Step]:
    return [Step(users, rps, 10.0, 20.0, rps * 10, 0) for users, rps in figures]


def test_the_knee_is_the_first_step_near_the_best_throughput():
    # The measurement: throughput flat from 10 users while p95 held up to 50.
    knee, note = capacity.find_knee(steps((10, 2000), (20, 2010), (30, 1990), (40, 2030)))
    assert knee.users == 10 and "stops growing at 10 users" in note
    knee, _ = capacity.find_knee(steps((10, 500), (20, 900), (30, 1000), (40, 990)))
    assert knee.users == 30  # 900 is more than 5 % below the best, 1000


def test_no_knee_while_throughput_still_grows_or_with_one_step():
    knee, note = capacity.find_knee(steps((10, 500), (20, 900), (30, 1300)))
    assert knee is None and "still growing at the last step (30 users" in note
    knee, note = capacity.find_knee(steps((10, 500)))
    assert knee is None and "fewer than two steps" in note


def write_step_history(path: Path, stages: list[tuple[int, float, int]], start: int) -> None:
    """A master's history of a step run: (users, req/s, p95) for 20 s each, 3 s ramps between."""
    header = ["Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s", "95%",
              "99%", "Total Request Count", "Total Failure Count"]  # fmt: skip
    rows, t, total = [], start, 0.0
    rows.append([t, 0, "", "Aggregated", 0, 0, "N/A", "N/A", 0, 0])
    for users, rps, p95 in stages:
        for ramp in range(3):
            t, total = t + 1, total + rps / 2
            rows.append([t, users * (ramp + 1) // 4, "", "Aggregated", 0, 0, p95, p95, total, 0])
        for _ in range(20):
            t, total = t + 1, total + rps
            rows.append([t, users, "", "Aggregated", rps, 0, p95, p95 * 2, int(total), 0])
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def test_a_step_run_is_judged_step_by_step_from_its_history(tmp_path):
    run = tmp_path / "run"
    shutil.copytree(PLAIN_RUN, run)
    info = json.loads((run / "run.json").read_text())
    info["config"]["users"] = info["config"]["spawn_rate"] = None  # a shape set them
    (run / "run.json").write_text(json.dumps(info))
    slo = json.loads((run / "locust_slo.json").read_text())
    slo["gates"] = [{"name": "p95_ms", "threshold": 200.0, "measured": 250, "passed": False}]
    (run / "locust_slo.json").write_text(json.dumps(slo))
    write_step_history(
        run / "locust_stats_history.csv", [(10, 500, 30), (25, 1000, 80), (50, 1020, 250)],
        info["start"],
    )  # fmt: skip
    text = build.build(run).summary.read_text()
    part = section(text, "## Capacity")
    answer, all_steps = tables(part)
    assert [figures(row[1:])[:3] for row in answer] == [
        (25, 1000.0, 80.0), (50, 1020.0, 250.0), (25, 1000.0, 80.0),
    ]  # fmt: skip
    assert [row[5] for row in all_steps] == ["held", "held", "broke p95_ms"]
    assert "| Load | step load: 10, 25, 50 users |" in text
    assert "figures per step from locust_stats_history.csv" in part
