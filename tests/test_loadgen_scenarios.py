"""Every bundled scenario runs headless against the live API with no failures; seed and reset."""

import pytest

from loadgen import runner
from rig.cli import main as rig_main
from tests import loadgen_support as lg

# Request names each tag produces in the statistics (the seed's table rows).
TAG_ROWS = {
    "add_json": ("POST", "/api/v1/add_json"),
    "add_string": ("POST", "/api/v1/add_string"),
    "add_small_json": ("POST", "/api/v1/add_small_json"),
    "get_json": ("GET", "/api/v1/json/[id]"),
    "get_string": ("GET", "/api/v1/string/[id]"),
    "get_json_field": ("GET", "/api/v1/json/[id]?path"),
    "get_string_field": ("GET", "/api/v1/string/[id]?path"),
    "update_json_field": ("PATCH", "/api/v1/json/[id]?path"),
    "update_string_field": ("PATCH", "/api/v1/string/[id]?path"),
    "consistency": ("GET", "consistency"),
}
# capacity has a test of its own (it needs a service slow enough to break a gate).
SCENARIOS = [name for name in runner.list_scenarios() if name != "capacity"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_runs_without_failures(scenario, api, tmp_path):
    run_dir = tmp_path / "run"
    extra = ["--seed-count", "20", "--prometheus-port", "0", "--only-summary"]
    if scenario == "step":
        extra += ["--stages", "2:2s,4:2s"]
    argv = runner.master_argv(scenario, api.url, run_dir, 0, "4s", 6, 6, extra=extra)
    log = tmp_path / "locust.log"
    code = lg.run(argv, log, tmp_path, timeout=90)
    assert code == 0, lg.tail(log)
    rows = lg.stats_rows(run_dir)
    total = rows[("", "Aggregated")]
    assert int(total["Request Count"]) > 0
    assert int(total["Failure Count"]) == 0, (run_dir / "locust_failures.csv").read_text()
    tags = runner.scenario_settings(scenario)["tags"].strip("[]").split(",")
    for tag in (t.strip() for t in tags):
        assert TAG_ROWS[tag] in rows, f"{tag} made no requests"
    for name in (
        "locust_stats_history.csv",
        "locust_failures.csv",
        "locust_report.html",
        "locust_stats.json",
        "locust_slo.json",
    ):
        assert (run_dir / name).is_file(), name
    assert lg.read_json(run_dir / "locust_slo.json")["requests"] == int(total["Request Count"])


def test_rig_seed_creates_documents_every_worker_can_address(api, redis_client, capsys):
    assert rig_main(["seed", "--host", api.url, "--count", "3", "--size", "small"]) == 0
    assert "seeded 6 documents" in capsys.readouterr().out
    for index in range(3):
        assert redis_client.exists(f"rig:json:seed-{index:06d}", f"rig:string:seed-{index:06d}")
    assert isinstance(redis_client.json().get("rig:json:seed-000002", "$.stats.attack")[0], int)


def test_rig_seed_reports_a_dead_api_without_traceback(capsys):
    assert rig_main(["seed", "--host", "http://127.0.0.1:9", "--count", "1"]) == 2
    assert "seeding failed" in capsys.readouterr().err


def test_rig_reset_deletes_only_keys_under_the_prefix(json_redis, redis_client, capsys):
    redis_client.mset({"lgtest:a": 1, "lgtest:b": 2, "lgtestx": 3, "other:lgtest:c": 4})
    redis_client.json().set("lgtest:doc", "$", {"a": 1})
    assert rig_main(["reset", "--redis-url", json_redis.url, "--prefix", "lgtest:"]) == 0
    assert "deleted 3 keys" in capsys.readouterr().out
    assert redis_client.exists("lgtest:a", "lgtest:b", "lgtest:doc") == 0
    assert redis_client.exists("lgtestx", "other:lgtest:c") == 2
    # An empty prefix would match every key: refused (by the API's own prefix rule), no key lost.
    assert rig_main(["reset", "--redis-url", json_redis.url, "--prefix", ""]) == 2
    assert "--prefix must be" in capsys.readouterr().err
    assert redis_client.exists("lgtestx", "other:lgtest:c") == 2
    redis_client.delete("lgtestx", "other:lgtest:c")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://127.0.0.1:9/0", "redis://127.0.0.1:9/0"),
        ("redis://:s3cret-pw@127.0.0.1:9/0", "redis://:***@127.0.0.1:9/0"),
        ("redis://rig:s3cret-pw@127.0.0.1:9/0", "redis://rig:***@127.0.0.1:9/0"),
    ],
)
def test_rig_reset_of_unreachable_redis_is_a_clear_error_without_its_password(url, shown, capsys):
    assert rig_main(["reset", "--redis-url", url]) == 2
    err = capsys.readouterr().err
    assert f"reset of {shown}: " in err
    assert "127.0.0.1:9" in err.split(": ", 2)[2] and "refused" in err.lower()  # the cause
    assert "s3cret-pw" not in err and "Traceback" not in err
