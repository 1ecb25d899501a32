"""The load-balancer and shard sections' arithmetic and the bottleneck line's inputs."""

from reports import bottleneck_facts, tiers


def test_backend_shares_add_up_and_evenness_is_least_over_most():
    data = {"backends": {"app2": {"requests_per_s": 300.0}, "app1": {"requests_per_s": 100.0}}}
    shown = tiers.summary(data)
    assert [(b["name"], b["share_percent"]) for b in shown["backends"]] == [
        ("app1", 25.0),
        ("app2", 75.0),
    ]
    assert shown["backend_evenness"] == 100 / 300


def test_one_redis_is_not_a_shard_section_and_missing_figures_are_none():
    assert tiers.summary({"shards": {"local": {"keys": 5}}})["shards"] == []
    assert tiers.evenness([None, 3.0]) is None
    assert tiers.evenness([0.0, 0.0]) is None
    assert tiers.summary({})["backends"] == []


def test_series_are_named_after_their_backend_or_shard():
    assert tiers.member_name({"server": "app2"}, "lb", "backends") == "app2"
    assert tiers.member_name({"instance": "local", "shard": "127.0.0.1:7001"}, "h", "shards") == (
        "127.0.0.1:7001"
    )
    assert tiers.member_name({"instance": "redis1:9121"}, "redis1", "shards") == "redis1:9121"
    assert tiers.member_name({}, "lb", "balancer") == "lb"


def test_every_query_names_its_selector_and_window_once_replaced():
    for query in tiers.QUERIES:
        text = tiers.promql(query, 'job="j"', "8s")
        assert "{SEL}" not in text and "{W}" not in text and 'job="j"' in text


def test_api_cores_are_its_workers_capped_by_the_hosts_cores():
    info = {"config": {"workers": 4, "app_instances": 2}, "versions": {"cpu_count": 2}}
    assert bottleneck_facts.api_cores(info) == 2.0
    assert bottleneck_facts.api_cores({"config": {"workers": 3}}) == 3
    assert bottleneck_facts.api_cores({"config": {"workers": "x"}}) is None


def test_shard_figures_win_over_whole_redis_cpu_and_capacity_enables_the_network():
    metrics = {
        "series": [
            {"key": "redis_cpu_percent", "host": "db", "points": [[0, 50], [1, 70]]},
            {"key": "net_out_bytes_per_s", "host": "app1", "points": [[0, 10.0], [1, 30.0]]},
        ],
        "tiers": {"shards": {"db:7000": {"main_thread_cpu_percent": 97.0}}},
    }
    info = {"hosts": {"app1": {"network_capacity_bytes_per_s": 100}}}
    found = bottleneck_facts.facts(info, metrics, None, False)
    assert found.redis_main_thread_percent == {"db:7000": 97.0}
    assert found.network_bytes_per_s == {"app1": 20.0}
    del metrics["tiers"]
    assert bottleneck_facts.facts({}, metrics, None, False).redis_main_thread_percent == {"db": 60}
