"""--doc-pool: the add tasks cycle over a bounded id space, so a long write run keeps Redis flat."""

import argparse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests import loadgen_support as lg  # first: it imports locust without gevent's patching

from loadgen import runner  # isort: skip
from loadgen.options import DEFAULT_DOC_POOL, Workload  # isort: skip


def _add_keys(redis_client) -> set[bytes]:
    return set(redis_client.scan_iter("rig:json:*")) | set(redis_client.scan_iter("rig:string:*"))


def test_post_15k_writes_only_the_pool_ids(api, redis_client, tmp_path):
    for key in _add_keys(redis_client):
        redis_client.unlink(key)
    run_dir = tmp_path / "run"
    extra = ["--doc-pool", "7", "--prometheus-port", "0", "--only-summary"]
    argv = runner.master_argv("post_15k", api.url, run_dir, 0, "3s", 4, 4, extra=extra)
    log = tmp_path / "locust.log"
    assert lg.run(argv, log, tmp_path, timeout=90) == 0, lg.tail(log)
    requests = int(lg.stats_rows(run_dir)[("", "Aggregated")]["Request Count"])
    keys = _add_keys(redis_client)
    # Many more writes than ids, yet only the pool's keys exist: every write overwrote one.
    assert requests > 14 * 3
    pool = {f"rig:{kind}:pool-{i}".encode() for kind in ("json", "string") for i in range(7)}
    assert keys <= pool
    assert len(keys) > 7


def _options(**values) -> argparse.Namespace:
    return argparse.Namespace(**values)


def test_the_pool_defaults_and_refuses_nothing_odd():
    assert Workload.from_options(_options()).doc_pool == DEFAULT_DOC_POOL
    assert Workload.from_options(None).doc_pool == DEFAULT_DOC_POOL
    assert Workload.from_options(_options(doc_pool=0)).doc_pool == 0


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_a_negative_pool_means_unbounded_never_a_crash(size):
    assert Workload.from_options(_options(doc_pool=size)).doc_pool == max(0, size)


@pytest.mark.parametrize("value", ["x", "1.5", ""])
def test_locust_refuses_a_pool_that_is_not_a_number(value, tmp_path):
    argv = runner.master_argv("post_15k", "http://127.0.0.1:9", tmp_path / "run", 0, "1s")
    log = tmp_path / "locust.log"
    code = lg.run([*argv, f"--doc-pool={value}"], log, tmp_path, timeout=60)
    assert code != 0
    assert "--doc-pool" in lg.tail(log)
