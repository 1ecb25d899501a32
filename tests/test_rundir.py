"""The run-directory package: the window, RunInfo, the fingerprint, durations, the outcome."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from reports.verdict import validity
from rundir import fingerprint, history, outcome, runinfo, timespan
from rundir.errors import RigError, RunDirError
from rundir.files import HISTORY_CSV, RUN_JSON
from rundir.load import Run

FIXTURE_RUN = Path(__file__).parent / "fixtures/report/results/20251126T233320Z-post_15k"
# The fixture's history: users from 1764200001 to 1764200060, a 0-user row at 1764200000.
LAUNCHED, FINISHED = 1764199990.25, 1764200075.5


def test_the_window_is_the_seconds_with_users_within_launch_and_exit():
    rows = history.read_history(FIXTURE_RUN / HISTORY_CSV)
    assert history.window(rows, LAUNCHED, FINISHED) == (1764200000, 1764200061)
    # A master that exited early (or started late) bounds the window.
    assert history.window(rows, 1764200010.5, 1764200030.0) == (1764200010.5, 1764200030.0)


@pytest.mark.parametrize(
    "rows",
    [
        [],
        [{"Timestamp": "1764200001", "User Count": "0"}],
        [{"Timestamp": "not a time", "User Count": "5"}, {"Timestamp": "nan", "User Count": "5"}],
        [{"User Count": "5"}, {"Timestamp": "", "User Count": None}],
    ],
)
def test_without_a_second_with_users_the_window_is_launch_to_exit(rows):
    assert history.window(rows, 100.0, 160.0) == (100.0, 160.0)


def test_a_window_lasts_at_least_one_second():
    rows = [{"Timestamp": "200", "User Count": "3"}]
    assert history.window(rows, 199.5, 199.8) == (199.5, 200.5)


def test_run_info_round_trips_and_keeps_fields_it_does_not_know():
    text = (FIXTURE_RUN / RUN_JSON).read_text()
    info = runinfo.RunInfo.from_json(text)
    assert info.scenario == "post_15k" and info.start == 1764200000
    again = runinfo.RunInfo.from_json(info.to_json())
    assert again == info
    old = runinfo.RunInfo.from_dict({"start": 1, "end": 2, "report": {"slo": "PASS"}})
    assert json.loads(old.to_json())["report"] == {"slo": "PASS"}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        "null",
        '{"end": 2}',
        '{"start": "soon", "end": 2}',
        '{"start": 1, "end": NaN}',
        '{"start": true, "end": 2}',
        '{"start": 1, "end": 2, "hosts": ["app1"]}',
        '{"start": 1, "end": 2, "config": "users=5"}',
        '{"start": 1, "end": 2, "incidents": "one"}',
        "\x00\xff",
    ],
)
def test_malformed_run_json_is_a_clear_run_dir_error(text):
    with pytest.raises(RunDirError):
        runinfo.RunInfo.from_json(text)


def _commit(repo: Path) -> str:
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "f").write_text("one\n")
    subprocess.run([*git, "add", "f"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "one"], check=True)
    return subprocess.run(
        [*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_git_rev_is_the_full_hash_and_says_dirty(tmp_path):
    rev = _commit(tmp_path)
    assert fingerprint.git_rev(tmp_path) == rev
    (tmp_path / "f").write_text("two\n")
    assert fingerprint.git_rev(tmp_path) == f"{rev}-dirty"
    (tmp_path / "f").write_text("one\n")
    (tmp_path / "untracked").write_text("not part of the rig\n")
    assert fingerprint.git_rev(tmp_path) == rev
    assert fingerprint.git_rev(tmp_path / "no-such-dir") == "unknown"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the checkout to another user")
def test_git_rev_reads_a_checkout_owned_by_another_user(tmp_path):
    repo = tmp_path / "checkout"
    rev = _commit(repo)
    shutil.chown(repo, user="nobody")
    for path in repo.rglob("*"):
        shutil.chown(path, user="nobody")
    assert fingerprint.git_rev(repo) == rev


def test_redisjson_version_reads_like_a_release(json_redis):
    client = redis.Redis.from_url(json_redis.url)
    raw = next(m[b"ver"] for m in client.module_list() if m[b"name"].lower() == b"rejson")
    client.close()
    found = fingerprint.redis_versions(json_redis.url)["redisjson"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", found), found
    major, minor, patch = (int(part) for part in found.split("."))
    assert major * 10000 + minor * 100 + patch == int(raw)


def test_module_versions_decode_major_minor_patch():
    assert fingerprint.module_version(20803) == "2.8.3"
    assert fingerprint.module_version("20803") == "2.8.3"
    assert fingerprint.module_version(100012) == "10.0.12"
    assert fingerprint.module_version("2.8.3") == "2.8.3"


def test_rundir_imports_neither_flask_nor_locust():
    modules = "('flask', 'locust', 'gevent', 'rig', 'reports')"
    code = "import sys, rundir.load, rundir.runinfo, rundir.fingerprint, rundir.files; " + (
        f"print(sorted(m for m in {modules} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


DURATIONS = ["0", "90", "90s", "5m", "1h", "1m30s", "2h3m4s", "1h30s", "007s", "", " ", "h",
             "1x", "1s1m", "1.5s", "-1", "1m 30s", "٣", "1d", "s", "ms"]  # fmt: skip


def test_parse_duration_agrees_with_locusts_own_parser():
    # Locust's parser, in a process of its own: importing locust monkey-patches the importer.
    code = (
        "import json, sys\nfrom locust.util.timespan import parse_timespan\nout = {}\n"
        "for text in json.loads(sys.argv[1]):\n"
        "    try: out[text] = parse_timespan(text)\n"
        "    except ValueError: out[text] = None\n"
        "print(json.dumps(out))"
    )
    argv = [sys.executable, "-c", code, json.dumps(DURATIONS)]
    locusts = json.loads(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)
    for text in DURATIONS:
        try:
            ours = timespan.parse_duration(text)
        except RigError:
            ours = None
        if ours is not None:  # what we accept, Locust accepts the same way
            assert locusts[text] == ours, text
        elif text.strip() and text.isascii():  # stricter only about blanks and non-ASCII digits
            assert locusts[text] is None, text


@pytest.mark.parametrize(
    ("slo", "busiest", "verdict"),
    [
        (None, 85.0, "VALID"),  # the default limit, 90 %
        (None, 95.0, "SUSPECT"),
        ({"load_generator": {"flagged": False, "cpu_threshold_percent": 80}}, 85.0, "SUSPECT"),
        ({"load_generator": {"flagged": False, "cpu_threshold_percent": 97.5}}, 95.0, "VALID"),
        ({"load_generator": {"cpu_threshold_percent": "high"}}, 95.0, "SUSPECT"),
    ],
)
def test_the_validity_verdict_uses_the_cpu_limit_the_guard_recorded(slo, busiest, verdict):
    run = Run(path=FIXTURE_RUN, info={"start": 1, "end": 2}, stats=[], slo=slo)
    found, reasons = validity(run, {"requests": 5000, "fail_ratio": 0.0}, busiest)
    assert found == verdict, reasons
    limit = outcome.saturation_threshold(slo)
    assert all(f"limit {limit:g} %" in reason for reason in reasons)
