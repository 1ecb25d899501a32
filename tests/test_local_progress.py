"""The RPS of `rig local`'s progress line, from a request counter that jumps with worker reports."""

import io

import pytest

from rig.local.progress import Progress, RequestRate


def test_rate_between_worker_reports_is_the_real_rate_from_the_first_report():
    rate = RequestRate(window=10)
    assert rate.rate(0.0) is None
    seen = {}
    for tick in range(0, 61):  # polled twice a second; the count jumps by 300 every 3 s
        now = tick / 2
        rate.add(now, 300 * int(now // 3))
        seen[now] = rate.rate(now)
    assert seen[2.5] is None  # no report yet: unknown, not 0
    assert seen[3.0] == pytest.approx(100)  # the first report already gives the rate
    assert all(value == pytest.approx(100) for now, value in seen.items() if now >= 3)


def test_rate_falls_to_zero_when_the_count_stands_still_for_a_window():
    rate = RequestRate(window=10)
    for second in range(0, 13, 3):
        rate.add(float(second), 100.0 * second)
    assert rate.rate(12.0) == pytest.approx(100)
    rate.add(20.0, 2000.0)  # one late report covering 8 s
    assert rate.rate(20.0) == pytest.approx(100)  # from the oldest stretch still in the window
    assert rate.rate(29.0) == pytest.approx(100)
    assert rate.rate(30.5) == 0.0


def test_progress_line_counts_from_the_start_of_load():
    progress = Progress(io.StringIO(), "http://127.0.0.1:9/metrics", 15)
    assert progress.line(1.0).startswith("[starting] ")
    progress.load_started = 4.0
    progress.figures = {"locust_workers": 4, "locust_users": 50, "locust_failures_total": 2,
                        "locust_requests_total": 1500, "p95_ms": 44.0}  # fmt: skip
    progress.rate.add(4.0, 0)
    progress.rate.add(7.0, 1500)
    assert progress.line(14.0) == (
        "[  10/15 s] 5 s left  workers 4  users 50  RPS 500.0  p95 44 ms  failures 2 (0.13%)"
    )
    assert progress.line(30.0).startswith("[  26/15 s] 0 s left  ")  # stopping users


def test_rate_is_that_of_the_latest_report_interval():
    rate = RequestRate(window=10)
    for when, count in ((0, 0), (5, 1400), (8, 3100), (11, 5800), (14, 8500)):
        rate.add(float(when), float(count))
        last = rate.rate(float(when))
    assert last == pytest.approx(900)  # 2,700 requests in the last 3 s, not the run's average
    staggered = RequestRate(window=10)
    for tick in range(40):  # four workers, each reporting 300 requests every 3 s, in turn
        staggered.add(tick * 0.75, 300.0 * (tick + 1))
    assert staggered.rate(39 * 0.75) == pytest.approx(400)


def test_progress_reads_p95_and_failures_from_the_masters_exporter():
    """The exporter's text as the plugin writes it: p95 of all requests, counts per endpoint."""
    exposition = "\n".join([
        'locust_requests_total{method="POST",name="/a"} 900.0',
        'locust_requests_total{method="GET",name="/b"} 100.0',
        'locust_failures_total{method="POST",name="/a"} 10.0',
        'locust_failures_total{method="GET",name="/b"} 0.0',
        'locust_response_time_seconds{method="",name="Aggregated",quantile="0.95"} 0.120',
        'locust_response_time_seconds{method="POST",name="/a",quantile="0.95"} 0.300',
        'locust_response_time_seconds{method="",name="Aggregated",quantile="0.99"} 0.500',
        "locust_users 20.0", "locust_workers 2.0", "",
    ])  # fmt: skip
    progress = Progress(io.StringIO(), "http://127.0.0.1:9/metrics", None)
    progress._scrape = lambda: Progress._parse(exposition)
    progress.sample(1.0)
    assert progress.line(2.0) == (
        "[   1 s] workers 2  users 20  RPS —  p95 120 ms  failures 10 (1.00%)"
    )
