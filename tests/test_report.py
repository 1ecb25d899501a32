"""The report builder on a fixture run directory: golden summary.md, table, charts, gaps, index."""

import csv
import json
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

from reports import build, charts, run_dir
from rig import cli
from rig.ports import free_port

FIXTURE = Path(__file__).parent / "fixtures" / "report"
RUN_ID = "20251126T233320Z-post_15k"
# RIG_UPDATE_GOLDEN=1 rewrites the expected files after a deliberate change of the report.
UPDATE = os.environ.get("RIG_UPDATE_GOLDEN") == "1"


def summary_table(text: str) -> list[list[str]]:
    """The rows of the Requests table in summary.md, cells unescaped."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| Type | Name |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = line.strip()[1:-1].replace("\\|", "\0").split(" | ")
        rows.append([c.strip().replace("\0", "|") for c in cells])
    return rows


def csv_table(path: Path) -> list[list[str]]:
    """locust_stats.csv reduced to the summary's columns, strings untouched."""
    with path.open(newline="") as handle:
        return [[row[c] for _t, c in run_dir.TABLE_COLUMNS] for row in csv.DictReader(handle)]


def shown_decimals(column: str, value: float) -> int:
    """Decimals Locust's web UI shows: counts, sizes and whole ms 0; ms 1 below 100; rates 2."""
    if column.endswith("Response Time"):
        return 1 if round(value, 1) < 100 else 0
    return 2 if column.endswith("/s") else 0


def assert_table_is_the_csv(table: list[list[str]], path: Path) -> None:
    """Each summary cell is its CSV value rounded the way Locust shows it; text cells equal."""
    expected = csv_table(path)
    assert len(table) == len(expected) and table[-1][1] == "Aggregated"
    for shown_row, csv_row in zip(table, expected, strict=True):
        assert len(shown_row) == len(csv_row)
        for (_title, column), shown, raw in zip(
            run_dir.TABLE_COLUMNS, shown_row, csv_row, strict=True
        ):
            try:
                value = float(raw)
            except ValueError:  # Type, Name, "N/A"
                assert shown == raw, (column, shown, raw)
                continue
            if column in ("Median Response Time", "90%", "95%", "99%"):
                assert shown == raw, (column, shown, raw)  # whole ms in the CSV already
                continue
            places = shown_decimals(column, value)
            assert len(shown.partition(".")[2]) == places, (column, shown, raw)
            assert abs(float(shown) - value) <= 0.5 * 10**-places + 1e-9, (column, shown, raw)


def assert_png(path: Path) -> None:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.size[0] > 200 and image.size[1] > 100


@pytest.fixture
def results(tmp_path) -> Path:
    target = tmp_path / "results"
    shutil.copytree(FIXTURE / "results", target)
    return target


def _golden(name: str, actual: str) -> None:
    expected = FIXTURE / "expected" / name
    if UPDATE:
        expected.parent.mkdir(exist_ok=True)
        expected.write_text(actual, encoding="utf-8")
    assert actual == expected.read_text(encoding="utf-8")


def test_summary_matches_the_golden_file(results):
    report = build.build(results / RUN_ID)
    _golden("summary.md", report.summary.read_text(encoding="utf-8"))


def test_index_lists_every_run_newest_first(results):
    report = build.build(results / RUN_ID)
    _golden("index.md", report.index.read_text(encoding="utf-8"))
    rows = [line for line in report.index.read_text().splitlines() if line.startswith("| 2025")]
    assert len(rows) == 4
    assert RUN_ID in rows[0]


def test_summary_table_is_locust_stats_csv(results):
    report = build.build(results / RUN_ID)
    table = summary_table(report.summary.read_text())
    assert_table_is_the_csv(table, results / RUN_ID / run_dir.STATS_CSV)
    raw = csv_table(results / RUN_ID / run_dir.STATS_CSV)
    assert raw[-1][10] == "714.4757519999985"
    assert table[-1][8:12] == ["59.8", "0.9", "714", "4509"]
    assert table[1][8] == "130" and table[1][10] == "100"  # 129.88 and 99.96 ms: whole ms
    assert table[-1][12:] == ["900.01", "0.20"]


def test_charts_are_valid_pngs_linked_from_the_summary(results):
    report = build.build(results / RUN_ID)
    text = report.summary.read_text()
    for name in ("throughput.png", "latency.png", "cpu.png"):
        assert f"(charts/{name})" in text
        assert_png(results / RUN_ID / "charts" / name)


def test_verdicts_come_from_the_slo_file_and_the_figures(results):
    report = build.build(results / RUN_ID)
    assert report.verdicts["slo"] == "FAIL"
    assert report.verdicts["validity"] == "VALID"
    written = json.loads((results / RUN_ID / run_dir.REPORT_JSON).read_text())
    assert written["slo"] == "FAIL" and written["validity"] == "VALID"
    assert set(written["regressions"]) == {"rps", "p50", "p95", "p99"}


def test_the_report_never_edits_run_json(results):
    path = results / RUN_ID / run_dir.RUN_JSON
    before = path.read_bytes()
    build.build(results / RUN_ID)
    build.build(results / RUN_ID)  # a rebuild reads the same input
    assert path.read_bytes() == before


def test_without_slo_file_and_with_many_failures_the_run_is_suspect(results):
    run = results / RUN_ID
    (run / "locust_slo.json").unlink()
    rows = list(csv.reader((run / run_dir.STATS_CSV).open()))
    rows[-1][3] = str(int(rows[-1][2]) // 10)  # 10 % of the requests failed
    with (run / run_dir.STATS_CSV).open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    report = build.build(run)
    assert report.verdicts["slo"] == "n/a"
    assert report.verdicts["validity"] == "SUSPECT"
    assert "failed" in report.verdicts["validity_reasons"][0]


def test_unreachable_prometheus_still_gives_a_report_that_says_why(results):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    report = build.build(results / RUN_ID, prometheus_url=url)
    text = report.summary.read_text()
    assert "## Missing data" in text
    assert f"cannot reach Prometheus at {url}" in text
    assert "CPU per host" in text  # the chart that could not be drawn is named
    assert_table_is_the_csv(summary_table(text), results / RUN_ID / run_dir.STATS_CSV)


def test_psutil_samples_feed_the_resource_tables(results):
    run = results / RUN_ID
    (run / "metrics.json").unlink()
    start = json.loads((run / "run.json").read_text())["start"]
    with (run / run_dir.SAMPLES_CSV).open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["time", "host", "cpu_percent", "mem_used_bytes", "redis_ops_per_s"])
        for second in range(0, 61, 5):
            writer.writerow([start + second, "box", 50 + second / 6, 2 << 30, 1000 + second])
    report = build.build(run)
    text = report.summary.read_text()
    assert "Source: psutil" in text
    assert "| box | — | 55.0 % | 60.0 % | 2.0 GiB |" in text
    assert "ops/s avg 1,030" in text
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["source"] == "psutil"


def test_rebuilding_does_not_pile_up_missing_entries(results):
    build.build(results / RUN_ID)
    text = build.build(results / RUN_ID).summary.read_text()
    assert text.count("fixture: left out on purpose") == 1


def test_rig_report_command_builds_and_prints_the_summary_path(results, capsys):
    assert cli.main(["report", str(results / RUN_ID)]) == 0
    assert str(results / RUN_ID / "summary.md") in capsys.readouterr().out


def test_rig_report_on_a_directory_without_run_json_is_a_clear_error(tmp_path, capsys):
    assert cli.main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no run.json" in err
    assert "Traceback" not in err


def test_a_saturated_load_generator_makes_the_run_suspect(results):
    slo = results / RUN_ID / "locust_slo.json"
    verdict = json.loads(slo.read_text())
    verdict["load_generator"].update(flagged=True, saturated={"worker-1": 12.0})
    slo.write_text(json.dumps(verdict))
    report = build.build(results / RUN_ID)
    assert report.verdicts["validity"] == "SUSPECT"
    assert "worker-1" in report.verdicts["validity_reasons"][0]


def test_a_busy_load_generator_in_the_metrics_makes_the_run_suspect(results):
    metrics_path = results / RUN_ID / "metrics.json"
    metrics = json.loads(metrics_path.read_text())
    start = metrics["start"]
    metrics["series"].append(
        {"key": "locust_worker_max_cpu_percent", "scope": "locust", "host": "local",
         "label": "busiest worker CPU", "unit": "%",
         "points": [[start + s, 95.0] for s in range(0, 61, 2)]}
    )  # fmt: skip
    metrics_path.write_text(json.dumps(metrics))
    report = build.build(results / RUN_ID)
    assert report.verdicts["validity"] == "SUSPECT"
    assert "averaged 95 % CPU" in report.verdicts["validity_reasons"][0]
    assert "busiest worker CPU max 95.0 %" in report.summary.read_text()


def test_without_url_or_samples_the_prometheus_named_in_run_json_is_asked(results):
    run = results / RUN_ID
    (run / "metrics.json").unlink()
    url = f"http://127.0.0.1:{free_port()}"
    info = json.loads((run / "run.json").read_text())
    info["monitoring"]["prometheus"] = url
    (run / "run.json").write_text(json.dumps(info))
    text = build.build(run).summary.read_text()
    assert f"Source: prometheus ({url})" in text
    assert f"cannot reach Prometheus at {url}" in text


def test_throughput_starts_with_the_load_and_follows_the_counts():
    # A master's history: no users for 2 s, then four workers' reports every 3 s.
    rows = []
    for second in range(12):
        users = 0 if second < 2 else 50
        count = 0 if second < 4 else 1500 * ((second - 1) // 3)
        rows.append({"Timestamp": str(1000 + second), "User Count": str(users),
                     "Name": "Aggregated", "Requests/s": "0.000000",
                     "Total Request Count": str(count), "Total Failure Count": "0"})  # fmt: skip
    times, requests, failures = charts.count_rates(rows)
    assert times[0] == 1001  # the last second without users: where the load began
    assert times == [1001, 1004, 1007, 1010]
    assert requests == [500, 500, 500, 500] and set(failures) == {0}
    # Two workers reporting 1 s apart: stretches of 3 s count each of them once.
    for row in rows:
        second = int(row["Timestamp"]) - 1000
        row["Total Request Count"] = str(750 * ((second - 1) // 3) + 750 * (second // 3))
    times, requests, _failures = charts.count_rates(rows)
    assert times[0] == 1001 and requests[1:-1] == [500] * (len(requests) - 2)
