"""The report's chart set on a fixture run: files, valid PNGs, links under their sections,
every time axis on run.json's window; the distribution's percentiles are Locust's."""

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

# Locust's import would monkey-patch this whole test process with gevent (see
# tests/test_loadgen_units.py); its statistics need no gevent.
os.environ["LOCUST_SKIP_MONKEY_PATCH"] = "1"
try:
    from locust.stats import calculate_response_time_percentile
finally:
    del os.environ["LOCUST_SKIP_MONKEY_PATCH"]

from reports import build, chart_set, charts, charts_locust

FIXTURE = Path(__file__).parent / "fixtures" / "report" / "results"
RUN_ID = "20251126T233320Z-post_15k"
# chart file -> (the summary.md section it is linked under, whether it has a time axis)
CHART_SET = {
    "throughput.png": ("## Requests", True),
    "latency.png": ("## Requests", True),
    "latency_endpoints.png": ("## Requests", True),
    "distribution.png": ("## Requests", False),
    "cpu.png": ("## Resources", True),
    "redis.png": ("## Resources", True),
}


@pytest.fixture
def run(tmp_path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "results")
    return tmp_path / "results" / RUN_ID


def section_of(text: str, link: str) -> str:
    """The `## ` heading under which `link` appears in summary.md."""
    before = text[: text.index(link)]
    return [line for line in before.splitlines() if line.startswith("## ")][-1]


def png_windows(path: Path) -> list[tuple[float, float]]:
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        text = image.text.get(charts.WINDOW_KEY, "")
    return [tuple(float(x) for x in part.split(",")) for part in text.split(";") if part]


def test_every_chart_is_a_png_linked_under_its_section_on_the_run_window(run):
    report = build.build(run)
    text = report.summary.read_text()
    info = json.loads((run / "run.json").read_text())
    assert sorted(p.name for p in (run / "charts").glob("*.png")) == sorted(CHART_SET)
    for name, (section, timed) in CHART_SET.items():
        path = run / "charts" / name
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        link = f"](charts/{name})"
        assert text.count(link) == 1, name
        assert section_of(text, link) == section, name
        caption = text[text.index(link) :].splitlines()[2]
        assert caption and not caption.startswith(("!", "#", "|")), (name, caption)
        windows = png_windows(path)
        if timed:
            assert windows, name
            for low, high in windows:  # every time axis of the figure, twin axes included
                assert low == pytest.approx(info["start"], abs=1e-3), name
                assert high == pytest.approx(info["end"], abs=1e-3), name
        else:
            assert windows == [], name
    assert "## Charts" not in text  # each chart sits with what it illustrates
    assert "chart '" not in text  # nothing listed as missing


def test_each_endpoint_gets_a_panel_and_a_histogram(run):
    entries = charts_locust.read_stats_json(run / chart_set.JSON_STATS)
    assert {charts_locust.endpoint_label(e) for e in entries} == set(
        charts_locust.endpoint_rows(build.run_dir.load(run).history)
    )
    assert len(entries) == 2


def test_a_run_without_locust_json_or_redis_series_names_the_charts_it_lacks(run):
    (run / chart_set.JSON_STATS).unlink()
    metrics = json.loads((run / "metrics.json").read_text())
    metrics["series"] = [s for s in metrics["series"] if s["scope"] != "redis"]
    (run / "metrics.json").write_text(json.dumps(metrics))
    (run / "charts").mkdir()
    (run / "charts" / "redis.png").write_bytes(b"stale")  # an earlier build's chart
    report = build.build(run)
    text = report.summary.read_text()
    assert "(charts/distribution.png)" not in text and "(charts/redis.png)" not in text
    assert not (run / "charts" / "redis.png").exists()
    assert "- chart 'Response time distribution per endpoint': the run directory has no " \
        "locust_stats.json with response times" in text  # fmt: skip
    assert "- chart 'Redis commands and memory': no Redis series" in text
    assert png_windows(run / "charts" / "cpu.png")  # the others are still drawn


def test_a_history_with_aggregated_rows_only_has_no_endpoint_panels(run):
    history = run / "locust_stats_history.csv"
    lines = history.read_text().splitlines()
    history.write_text("\n".join([lines[0], *(x for x in lines if ",Aggregated," in x)]) + "\n")
    text = build.build(run).summary.read_text()
    assert "(charts/latency_endpoints.png)" not in text
    assert "(charts/throughput.png)" in text


histograms = st.dictionaries(
    st.one_of(st.integers(1, 99), st.integers(10, 99).map(lambda x: x * 10),
              st.integers(10, 99).map(lambda x: x * 100)),
    st.integers(1, 10_000), min_size=1, max_size=60,
)  # fmt: skip


@given(histograms, st.sampled_from([0.5, 0.9, 0.95, 0.99, 0.999, 1.0]))
def test_the_histogram_marks_the_percentiles_locust_reports(times, share):
    entry = {"response_times": {str(k): v for k, v in times.items()}}
    values, counts = charts_locust.histogram(entry)
    expected = calculate_response_time_percentile(times, sum(times.values()), share)
    assert charts_locust.percentile(values, counts, share) == expected


@given(histograms)
def test_histogram_bins_hold_whole_buckets_and_every_request(times):
    values, counts = charts_locust.histogram({"response_times": times})
    edges = charts_locust.bin_edges(values)
    assert np.all(np.diff(edges) > 0)
    assert not np.isin(values, edges).any()  # no edge falls on a bucket
    binned, _ = np.histogram(values, bins=edges, weights=counts)
    assert binned.sum() == counts.sum()


def test_stats_json_that_is_not_locusts_draws_nothing(tmp_path):
    bad = tmp_path / "locust_stats.json"
    for content in ("{", '{"a": 1}', "[1, 2]", '[{"response_times": {"x": "y"}}]'):
        bad.write_text(content)
        entries = charts_locust.read_stats_json(bad)
        assert not charts_locust.distribution(entries, tmp_path / "d.png")
