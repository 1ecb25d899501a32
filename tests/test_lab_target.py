"""Your own service on the shared lab: benchmark.yml with benchmark_target_url and
benchmark_locustfile (a plain locustfile written here, knowing nothing of the rig) against
the app host's API on the data network, then report.yml; the report is the usual one.

Marker `lab`; uses the session's shared lab (tests/conftest.py), a few seconds of load.
"""

import json
import textwrap

import pytest

from reports import run_dir
from tests.lab_support import tail
from tests.test_lab_e2e import redis_cli

# Run alone, a module's first test also waits for the session's site.yml (5-10 minutes here).
pytestmark = [pytest.mark.lab, pytest.mark.timeout(1800)]

LOCUSTFILE = textwrap.dedent(
    """
    from locust import FastHttpUser, constant, task


    class Visitor(FastHttpUser):
        wait_time = constant(0.02)

        @task(3)
        def health(self):
            self.client.get("/healthz")

        @task
        def ready(self):
            self.client.get("/readyz")
    """
)
PROBE_KEY = "rig:own-service-probe"  # under the prefix: a reset would delete it
WORKER_ENV = "/etc/default/rig-locust-worker"


@pytest.fixture(scope="module")
def lab(converged_lab):
    return converged_lab


@pytest.fixture(scope="module")
def own_run(lab, tmp_path_factory):
    results = tmp_path_factory.mktemp("own-results")
    locustfile = tmp_path_factory.mktemp("own") / "my visitors.py"
    locustfile.write_text(LOCUSTFILE)
    target = f"http://{lab.data('app')}:8000"
    redis_cli(lab, f"SET {PROBE_KEY} kept")
    extra = {"benchmark_target_url": target, "benchmark_locustfile": str(locustfile),
             "benchmark_run_time": "5s", "benchmark_users": 4,
             "benchmark_results_dir": str(results)}  # fmt: skip
    bench, seconds = lab.playbook("playbooks/benchmark.yml", extra)
    print(f"\nbenchmark.yml, own locustfile, 5 s: {seconds:.1f} s")
    assert bench.returncode == 0, tail(bench)
    report, _seconds = lab.playbook("playbooks/report.yml", {"benchmark_results_dir": str(results)})
    assert report.returncode == 0, tail(report)
    (run,) = [p for p in results.iterdir() if (p / run_dir.RUN_JSON).is_file()]
    return run, target


def test_the_own_locustfile_ran_against_the_given_url(own_run):
    run, target = own_run
    info = json.loads((run / run_dir.RUN_JSON).read_text())
    assert info["scenario"] == "my_visitors"  # the file's name, made safe
    assert run.name.endswith("-my_visitors")
    assert info["target"] == target
    stats = {row["Name"]: row for row in run_dir.read_csv(run / run_dir.STATS_CSV)}
    assert set(stats) == {"/healthz", "/readyz", "Aggregated"}
    assert int(stats["/healthz"]["Request Count"]) > int(stats["/readyz"]["Request Count"]) > 0
    assert stats["Aggregated"]["Failure Count"] == "0"


def test_the_rig_plugins_ran_beside_it_and_the_report_is_the_usual_one(own_run):
    run, target = own_run
    # The outputs plugin's SLO verdict file and the run's Prometheus figures in the report.
    assert any((run / name).is_file() for name in run_dir.SLO_FILES)
    summary = (run / run_dir.SUMMARY_MD).read_text()
    assert "# my_visitors" in summary
    assert f"| Target | {target}" in summary
    assert "| GET | /healthz |" in summary
    metrics = json.loads((run / run_dir.METRICS_JSON).read_text())
    assert metrics["source"] == "prometheus"


def test_nothing_was_reset_and_the_workers_are_back_on_the_bundled_locustfile(own_run, lab):
    assert redis_cli(lab, f"GET {PROBE_KEY}").strip() == "kept"
    redis_cli(lab, f"DEL {PROBE_KEY}")
    assert lab.ssh("loadgen", f"test -e {WORKER_ENV}").returncode != 0
