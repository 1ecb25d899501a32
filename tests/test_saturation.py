"""Host saturation in the validity verdict: a busy load-generator host, a shared core."""

import csv
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports import build, run_dir, saturation

FIXTURE = Path(__file__).parent / "fixtures" / "report" / "results"
RUN_ID = "20251126T233320Z-post_15k"
# Two hosts as a lab would have them: the load generator alone, the service on the other.
LAB_HOSTS = {
    "loadgen1": {"roles": ["locust_master", "locust_worker"]},
    "app1": {"roles": ["app", "redis"]},
}


@pytest.fixture
def run(tmp_path) -> Path:
    target = tmp_path / "results" / RUN_ID
    shutil.copytree(FIXTURE / RUN_ID, target)
    return target


def set_hosts(run: Path, hosts: dict) -> None:
    info = json.loads((run / run_dir.RUN_JSON).read_text())
    info["hosts"] = hosts
    (run / run_dir.RUN_JSON).write_text(json.dumps(info))


def write_samples(run: Path, host: str, cpu: float, locust_cpu: float = 30.0) -> None:
    """samples.csv as the psutil sampler writes it, one row every 2 s over the run's window."""
    (run / run_dir.METRICS_JSON).unlink(missing_ok=True)
    start = json.loads((run / run_dir.RUN_JSON).read_text())["start"]
    with (run / run_dir.SAMPLES_CSV).open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["time", "host", "cpu_percent", "locust_cpu_percent"])
        for second in range(0, 61, 2):
            # Around `cpu`, so the average is what counts and not one sample.
            writer.writerow([start + second, host, cpu + (1 if second % 4 else -1), locust_cpu])


def test_a_loadgen_host_at_95_percent_in_the_samples_is_suspect(run):
    set_hosts(run, LAB_HOSTS)
    write_samples(run, "loadgen1", 95.0)
    report = build.build(run)
    assert report.verdicts["validity"] == "SUSPECT"
    reasons = [r for r in report.verdicts["validity_reasons"] if "loadgen1" in r]
    assert len(reasons) == 1
    assert "averaged 95.0 % busy" in reasons[0]
    assert "limit 90 %" in reasons[0]
    assert "suspect: host loadgen1, which runs a load generator" in report.summary.read_text()


def test_a_loadgen_host_at_60_percent_on_its_own_host_is_valid(run):
    set_hosts(run, LAB_HOSTS)
    write_samples(run, "loadgen1", 60.0)
    report = build.build(run)
    assert report.verdicts["validity"] == "VALID", report.verdicts["validity_reasons"]


def test_a_busy_service_host_alone_does_not_make_the_run_suspect(run):
    # The service's host at 95 % is what a throughput test is for; it is not the load generator.
    set_hosts(run, LAB_HOSTS)
    write_samples(run, "app1", 95.0)
    assert build.build(run).verdicts["validity"] == "VALID"


def test_a_co_located_run_is_suspect_with_the_co_location_reason(run):
    # What every `rig local` run without a core split is: one host, every role, all cores.
    set_hosts(run, {"local": {"roles": ["redis", "app", "locust", "prometheus"]}})
    report = build.build(run)
    assert report.verdicts["validity"] == "SUSPECT"
    (reason,) = [r for r in report.verdicts["validity_reasons"] if "shares" in r]
    assert reason.startswith("the load generator shares all of its cores with the service")
    assert "on local (locust beside app, redis)" in reason
    assert json.loads((run / run_dir.REPORT_JSON).read_text())["validity"] == "SUSPECT"


def test_pinning_to_separate_cores_clears_the_co_location_reason(run):
    cpus = {"locust": [0], "app": [1], "redis": [1]}
    set_hosts(run, {"local": {"roles": ["redis", "app", "locust"], "cpus": cpus}})
    write_samples(run, "local", 99.0, locust_cpu=55.0)  # the box is busy, Locust's core is not
    report = build.build(run)
    assert report.verdicts["validity"] == "VALID", report.verdicts["validity_reasons"]


def test_a_pinned_load_generator_busy_on_its_own_cores_is_suspect(run):
    cpus = {"locust": [0], "app": [1], "redis": [1]}
    set_hosts(run, {"local": {"roles": ["redis", "app", "locust"], "cpus": cpus}})
    write_samples(run, "local", 80.0, locust_cpu=97.0)
    (reason,) = build.build(run).verdicts["validity_reasons"]
    assert "the load generator's 1 pinned CPU(s) on local averaged 97.0 % busy" in reason


def test_overlapping_pins_name_the_shared_cpus(run):
    cpus = {"locust": [0, 1], "app": [1], "redis": [1]}
    set_hosts(run, {"local": {"roles": ["redis", "app", "locust"], "cpus": cpus}})
    (reason,) = saturation.colocation_reasons(run_dir.load(run))
    assert reason.startswith("the load generator shares CPUs 1 with the service")


@settings(max_examples=60, deadline=None)
@given(
    cpus=st.one_of(
        st.none(),
        st.text(max_size=5),
        st.lists(st.integers()),
        st.dictionaries(
            st.sampled_from(["locust", "app", "redis", "x"]),
            st.one_of(
                st.lists(st.one_of(st.integers(-2, 3), st.text(max_size=2), st.booleans())),
                st.text(max_size=3),
                st.none(),
            ),
        ),
    )
)
def test_any_cpus_entry_in_run_json_gives_reasons_not_a_traceback(cpus):
    info = {"start": 0, "end": 1, "hosts": {"h": {"roles": ["locust", "app"], "cpus": cpus}}}
    fake = run_dir.Run(path=Path("."), info=info, stats=[])
    reasons = saturation.colocation_reasons(fake)
    assert len(reasons) <= 1
    busy = saturation.busy_host_reasons(fake, {"series": []})
    assert busy == []
