"""The canary: `rig canary` against a real Redis and API, and the verdict withheld on a night
whose canary moved, over crafted canary histories."""

import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from reports import build, canary, run_dir
from rig import canary as canary_run
from rig.errors import RigError
from rundir.files import CANARY_JSON
from tests.test_changepoints import STATS_HEADER

RIG = [sys.executable, "-m", "rig.cli"]


def noisy(level: float, cv: float, n: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [level * (1 + rng.gauss(0, cv)) for _ in range(n)]


# --- the rule, on crafted histories -------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_a_canary_inside_a_quiet_history_is_steady(seed):
    history = noisy(10_000, 0.02, 20, seed)
    assert canary.judge_figure(history, 10_000 * 0.97) == (False, pytest.approx(10_000, rel=0.03))


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_a_canary_a_fifth_slower_than_a_quiet_history_moved(seed):
    moved, _median = canary.judge_figure(noisy(10_000, 0.02, 20, seed), 8_000)
    assert moved is True


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_a_fifteen_percent_dip_within_a_noisy_history_is_no_move(seed):
    # CV 8 %: 3 robust sigmas are about 24 %, so a 15 % dip is the bench's usual noise.
    moved, _median = canary.judge_figure(noisy(10_000, 0.08, 20, seed), 8_500)
    assert moved is False


def test_a_perfectly_flat_history_still_allows_the_minimum_move():
    flat = [1000.0] * 10
    assert canary.judge_figure(flat, 1000 * (1 - 0.09))[0] is False
    assert canary.judge_figure(flat, 1000 * (1 - 0.11))[0] is True
    assert canary.judge_figure(flat, 1000 * 1.11)[0] is True  # faster counts as moved too


def test_too_short_a_history_is_not_judged():
    assert canary.judge_figure([1000.0] * (canary.MIN_HISTORY - 1), 100.0) == (None, 1000.0)
    assert canary.judge_figure([], 100.0) == (None, None)


def test_one_moved_figure_moves_the_canary_and_a_missing_part_is_left_out():
    past = [{"redis": {"per_s": 5000.0}, "http": {"per_s": 800.0}} for _ in range(6)]
    now = {"redis": {"per_s": 5000.0}, "http": {"per_s": 500.0}}
    judgement = canary.judge(now, past)
    assert [(f.key, f.moved) for f in judgement.figures] == [("redis", False), ("http", True)]
    assert judgement.moved and judgement.judged
    only_redis = canary.judge({"redis": {"per_s": 5000.0}, "http": None}, past)
    assert [f.key for f in only_redis.figures] == ["redis"] and not only_redis.moved


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(min_value=1, max_value=1e7), min_size=0, max_size=40),
    st.floats(min_value=1, max_value=1e7),
)
def test_the_rule_never_fails_and_only_judges_with_enough_history(past, value):
    moved, median = canary.judge_figure(past, value)
    assert (moved is None) == (len(past) < canary.MIN_HISTORY)
    if moved and median:
        assert abs(value - median) > canary.MIN_MOVE_PCT / 100 * median


@settings(max_examples=100, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.floats() | st.text(), lambda c: st.lists(c)
                    | st.dictionaries(st.text(), c), max_leaves=10))  # fmt: skip
def test_hostile_canary_files_give_no_figures_rather_than_an_error(data):
    judgement = canary.judge(data if isinstance(data, dict) else None, [])
    assert not judgement.moved


# --- the report: a REGRESSION withheld on a night whose canary moved ----------------------


def write_run(results: Path, index: int, rps: float, canary_rps: float | None) -> Path:
    run_id = f"20261101T{index:02d}0000Z-crafted"
    path = results / run_id
    path.mkdir(parents=True)
    start = 1_790_000_000 + index * 86_400
    info = {"run_id": run_id, "scenario": "post_15k", "bench": "lab:one",
            "start": start, "end": start + 60, "hosts": {}}  # fmt: skip
    (path / run_dir.RUN_JSON).write_text(json.dumps(info))
    row = f",Aggregated,60000,0,24,25.0,1.0,120.0,4500,{rps:.1f},0.0,24,26,27,28,35,40,"
    (path / run_dir.STATS_CSV).write_text(f"{STATS_HEADER}\n{row}50,60,80,90,100\n")
    if canary_rps is not None:
        data = {"format": 1, "time": start - 30, "missing": [],
                "redis": {"per_s": 9000.0}, "http": {"per_s": canary_rps}}  # fmt: skip
        (path / CANARY_JSON).write_text(json.dumps(data))
    return path


def history(tmp_path: Path, canaries: list[float | None]) -> Path:
    """Six steady runs (RPS 1000) and a seventh 20 % slower, with the given canaries."""
    rps = [1000.0] * 6 + [800.0]
    runs = [
        write_run(tmp_path, i, r, c) for i, (r, c) in enumerate(zip(rps, canaries, strict=True))
    ]
    return runs[-1]


def test_a_regression_on_a_steady_canary_night_stands(tmp_path):
    newest = history(tmp_path, [800.0, 810.0, 790.0, 805.0, 795.0, 800.0, 798.0])
    text = build.build(newest).summary.read_text()
    verdicts = json.loads((newest / run_dir.REPORT_JSON).read_text())
    assert verdicts["regressions"] == ["rps"]
    assert verdicts["withheld"] == []
    assert verdicts["canary"]["moved"] is False and verdicts["canary"]["judged"] is True
    assert "HTTP /healthz 798 req/s: -0.2 % against the median of 6 earlier canaries" in text
    assert "The canary is steady" in text
    assert re.search(r"\| RPS \| 1,000\.0 \| 800\.0 \| -20\.0 % \| 0\.0 % \| REGRESSION \|", text)


def test_a_regression_on_a_night_whose_canary_moved_is_withheld(tmp_path):
    newest = history(tmp_path, [800.0, 810.0, 790.0, 805.0, 795.0, 800.0, 560.0])
    report = build.build(newest)
    text = report.summary.read_text()
    verdicts = json.loads((newest / run_dir.REPORT_JSON).read_text())
    assert verdicts["regressions"] == []
    assert verdicts["withheld"] == ["rps"]
    assert verdicts["canary"]["figures"]["http"]["moved"] is True
    assert "The canary MOVED" in text
    assert f"| RPS | 1,000.0 | 800.0 | -20.0 % | 0.0 % | {canary.WITHHELD} |" in text
    index = report.index.read_text()
    assert "# Canary" in index
    rows = re.findall(r"^\| 2026-\S+ \S+ UTC \| lab:one \| 9,000 \| (\S+) \| (\S+(?: \S+)?) \|$",
                      index, re.MULTILINE)  # fmt: skip
    assert rows[0] == ("560", "MOVED")  # newest first
    assert [state for _rps, state in rows[1:]] == ["steady"] + ["not judged"] * 5


def test_without_enough_canary_history_nothing_is_withheld(tmp_path):
    newest = history(tmp_path, [None, None, None, 800.0, 805.0, 795.0, 400.0])
    text = build.build(newest).summary.read_text()
    verdicts = json.loads((newest / run_dir.REPORT_JSON).read_text())
    assert verdicts["regressions"] == ["rps"] and verdicts["canary"]["judged"] is False
    assert "Too few earlier canaries on this bench to judge a move (needs 5)" in text


def test_runs_of_one_night_share_one_canary_that_counts_once(tmp_path):
    runs = [write_run(tmp_path, i, 1000.0, 800.0) for i in range(3)]
    shared = (runs[0] / CANARY_JSON).read_text()
    for run in runs[1:]:
        (run / CANARY_JSON).write_text(shared)
    assert len(canary.bench_canaries(tmp_path, "lab:one")) == 1


def test_a_run_without_a_canary_has_no_canary_section(tmp_path):
    newest = history(tmp_path, [None] * 7)
    text = build.build(newest).summary.read_text()
    assert "## Canary" not in text
    assert "canary" not in json.loads((newest / run_dir.REPORT_JSON).read_text())


HOSTILE_CANARIES = [
    {"time": float("nan")}, {"time": float("inf"), "redis": {"per_s": 5.0}}, {"time": True},
    {"time": 1e300, "http": {"per_s": 5.0}}, {"time": -5, "redis": {"per_s": 1.0}},
    {"time": 1_790_000_000, "redis": "fast", "http": [1, 2], "missing": "none"},
    {"time": 1_790_000_000, "redis": {"per_s": float("inf")}, "missing": [3, {"what": "|x|"}]},
    {"time": "yesterday"}, {},
]  # fmt: skip


@pytest.mark.parametrize("hostile", HOSTILE_CANARIES)
def test_hostile_canary_files_in_the_history_do_not_stop_the_report(tmp_path, hostile):
    newest = history(tmp_path, [800.0] * 7)
    for run in sorted(tmp_path.iterdir())[::2]:
        (run / CANARY_JSON).write_text(json.dumps(hostile))
    report = build.build(newest)
    assert "# Runs" in report.index.read_text()
    json.loads((newest / run_dir.REPORT_JSON).read_text())


def test_a_broken_canary_file_does_not_stop_the_report(tmp_path):
    newest = history(tmp_path, [800.0] * 7)
    (newest / CANARY_JSON).write_text("[not json")
    build.build(newest)
    assert "## Canary" not in (newest / run_dir.SUMMARY_MD).read_text()


# --- rig canary against a real Redis with the JSON module and the real API ----------------


def test_rig_canary_measures_redis_and_healthz_and_leaves_other_keys_alone(
    json_redis, api, tmp_path
):
    client = redis.Redis.from_url(json_redis.url)
    client.set("foreign:key", b"keep me")
    client.set("rig:canary-not-ours", b"also kept")  # under the prefix, but not a canary key
    out = tmp_path / "night" / CANARY_JSON
    result = subprocess.run(
        [*RIG, "canary", str(out), "--redis-url", json_redis.url, "--prefix", "rig:",
         "--http", f"{api.url}/healthz", "--redis-ops", "200", "--http-requests", "50"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert data["redis"]["count"] == 200 and data["http"]["count"] == 50
    assert data["redis"]["per_s"] > 0 and data["http"]["per_s"] > 0
    assert data["missing"] == []
    assert result.stdout.startswith("canary: Redis ")
    assert client.get("foreign:key") == b"keep me"
    assert client.get("rig:canary-not-ours") == b"also kept"
    assert client.keys("rig:canary:*") == []


def test_a_password_never_appears_in_the_canary_output(tmp_path):
    url = "redis://:s3cret-pw@127.0.0.1:1/0"  # nothing listens on port 1
    out = tmp_path / CANARY_JSON
    result = subprocess.run([*RIG, "canary", str(out), "--redis-url", url],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 1
    assert "s3cret-pw" not in result.stdout + result.stderr + out.read_text()
    assert json.loads(out.read_text())["missing"][0]["what"] == "canary redis"


def test_a_healthz_that_answers_an_error_is_missing_not_a_figure(api, tmp_path):
    data = canary_run.run(None, "rig:", f"{api.url}/no-such-path", http_requests=5)
    assert "http" not in data
    assert "HTTP 404" in data["missing"][0]["why"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--http", "ftp://x/healthz"], "http:// or https://"),
        (["--http", "http://[::1/healthz"], "not a valid URL"),
        (["--http", "http://127.0.0.1:1/healthz", "--http-requests", "0"], "between 1 and"),
        (["--redis-url", "redis://127.0.0.1:1/0", "--redis-ops", "-5"], "between 1 and"),
        (["--redis-url", "redis://127.0.0.1:1/0", "--prefix", ""], "--prefix must be"),
        (["--redis-url", "redis://127.0.0.1:1/0", "--prefix", "a b*"], "--prefix must be"),
        ([], "a Redis URL, an HTTP URL or both"),
    ],
)
def test_hostile_canary_options_give_a_clear_error(tmp_path, monkeypatch, args, message):
    monkeypatch.delenv("RIG_REDIS_URL", raising=False)
    out = tmp_path / CANARY_JSON
    result = subprocess.run([*RIG, "canary", str(out), *args],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    text = result.stdout + result.stderr
    assert "Traceback" not in text
    assert result.returncode == 2, text
    assert message in text
    assert not out.exists()


def test_canary_keys_stay_under_the_prefix():
    keys = canary_run.canary_keys("team:")
    assert all(k.startswith("team:canary:{c}:") for k in keys) and len(set(keys)) == canary_run.KEYS
    with pytest.raises(RigError):
        canary_run.canary_keys("")


# --- rig local --canary ----------------------------------------------------------------------


@pytest.mark.live
def test_rig_local_canary_measures_the_box_before_the_load(tmp_path):
    argv = [
        *RIG,
        "local",
        "--scenario",
        "small_json",
        "--run-time",
        "3s",
        "--users",
        "4",
        "--spawn-rate",
        "4",
        "--no-prometheus",
        "--canary",
        "--results-dir",
        str(tmp_path),
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600)  # fmt: skip
    out = done.stdout + done.stderr
    assert done.returncode in (0, 3), out
    summary = Path(done.stdout.strip().splitlines()[-1])
    data = json.loads((summary.parent / CANARY_JSON).read_text())
    assert data["missing"] == [] and data["redis"]["per_s"] > 0 and data["http"]["per_s"] > 0
    assert data["http"]["url"].endswith("/healthz")
    info = json.loads((summary.parent / run_dir.RUN_JSON).read_text())
    assert data["time"] < info["start"]  # measured before the load
    assert out.index("canary: Redis ") < out.index("SLO ")
    assert "## Canary" in summary.read_text()
