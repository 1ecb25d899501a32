"""The bottleneck line: which resource limited a run, from figures the report already has."""

from hypothesis import given
from hypothesis import strategies as st

from reports.bottleneck import Candidate, Facts, line


def test_api_workers_at_their_cores_limit_are_named_with_the_figure():
    facts = Facts(api_cpu_percent=190, api_cores=2, redis_main_thread_percent={"r": 40})
    assert line(facts) == "Bottleneck: API workers' CPU — 190 % of 200 %"


def test_the_busiest_redis_shard_is_named_when_its_main_thread_is_at_one_core():
    facts = Facts(api_cpu_percent=300, api_cores=8,
                  redis_main_thread_percent={"10.0.0.5:7000": 55, "10.0.0.5:7001": 97})  # fmt: skip
    assert line(facts) == "Bottleneck: Redis main thread (shard 10.0.0.5:7001) — 97 % of 100 %"


def test_a_single_redis_is_not_called_a_shard():
    assert line(Facts(redis_main_thread_percent={"local": 93})) == (
        "Bottleneck: Redis main thread — 93 % of 100 %"
    )


def test_the_balancer_and_the_network_can_be_the_limit():
    assert "the balancer's CPU (HAProxy) — 92 % of 100 %" in line(
        Facts(api_cpu_percent=100, api_cores=4, balancer_cpu_percent=92)
    )
    facts = Facts(network_bytes_per_s={"app1": 118e6}, network_capacity_bytes_per_s={"app1": 125e6})
    assert line(facts) == "Bottleneck: the network (app1) — 118.0 of 125.0 MB/s"


def test_a_saturated_load_generator_wins_and_makes_the_run_suspect():
    facts = Facts(api_cpu_percent=199, api_cores=2, load_generator_cpu_percent=95)
    assert line(facts) == (
        "Bottleneck: the load generator (busiest Locust process's CPU) — 95 % of 90 %; "
        "the run is SUSPECT"
    )
    assert "SUSPECT" in line(Facts(load_generator_flagged=True))


def test_one_full_box_is_named_with_its_busiest_service():
    facts = Facts(api_cpu_percent=120, api_cores=2, redis_main_thread_percent={"local": 45},
                  host_cpu_percent={"local": 99.5})  # fmt: skip
    assert line(facts) == (
        "Bottleneck: the CPU of host local, shared by the services on it — 100 % of 100 %; "
        "busiest service: API workers' CPU, 120 % of 200 %"
    )


def test_nothing_at_its_limit_blames_the_offered_load():
    text = line(Facts(api_cpu_percent=40, api_cores=2, host_cpu_percent={"h": 30}))
    assert text.startswith("Bottleneck: none of the measured resources was at its limit")
    assert "API workers' CPU, 40 % of 200 %" in text


def test_no_figures_say_so():
    assert line(Facts()).startswith("Bottleneck: not known")


def test_extra_candidates_join_the_same_rules():
    slots = Candidate("connection slots (API)", 998, 1000, "slots")
    assert line(Facts(api_cpu_percent=100, api_cores=2), extra=[slots]) == (
        "Bottleneck: connection slots (API) — 998 of 1000 slots"
    )


figures = st.floats(0, 10_000, allow_nan=False)
names = st.text(st.characters(blacklist_categories=("Cc", "Zl", "Zp")), min_size=1, max_size=8)


@given(
    api=st.none() | figures, cores=st.none() | st.floats(0, 64), shards=st.dictionaries(
        names, figures, max_size=4),
    balancer=st.none() | figures, generator=st.none() | figures, flagged=st.booleans(),
    hosts=st.dictionaries(names, figures, max_size=3),
)  # fmt: skip
def test_any_figures_give_exactly_one_line(api, cores, shards, balancer, generator, flagged, hosts):
    text = line(Facts(api, cores, shards, balancer, {}, {}, generator, flagged, hosts))
    assert text.startswith("Bottleneck: ")
    assert "\n" not in text
