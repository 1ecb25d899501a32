"""Fixtures that start real servers on free ports: Redis with RedisJSON, the API under Gunicorn
and Granian (the API's own tests, tests/test_api_*.py, run once under each server).

Under RIG_NO_SKIP=1 (CI sets it) every skipped test fails instead, so CI always runs everything.
"""

import contextlib
import os
from pathlib import Path

import pytest
import redis as redis_py

from rig import redis_cluster, redis_server, serve


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("RIG_NO_SKIP") == "1" and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped, but RIG_NO_SKIP=1 forbids skips: {reason}"


@pytest.fixture(scope="session")
def json_redis():
    """A real Redis (or Valkey) with the JSON module, for the whole session."""
    server = redis_server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_client(json_redis):
    client = redis_py.Redis.from_url(json_redis.url)
    yield client
    client.close()


# API tests of Gunicorn itself, which run under Gunicorn only (README: "Gunicorn and Granian").
GUNICORN_ONLY = {
    # Gunicorn's own answers to malformed HTTP; Granian's HTTP layer (hyper) answers them
    # itself, with an empty 4xx.
    "test_requests_gunicorn_refuses_get_json_errors",
    # Gunicorn's worker classes and connection slots. Granian reads idle connections in Rust,
    # but a body that stalls holds one of its blocking threads until the client goes away.
    "test_idle_and_slow_clients_are_dropped_and_cannot_starve_the_worker",
}
# What Granian (the pinned version) does differently: strict xfail, so a Granian that fixes
# one makes its test fail here until this entry goes.
GRANIAN_DIFFERS = {
    ("test_malformed_chunked_framing_is_a_json_400", b"2\r\n{}XX0\r\n\r\n"):
        "Granian passes the chunk before the broken framing to the app as the whole body",
    ("test_malformed_chunked_framing_is_a_json_400", b"5\r\n{}"):
        "Granian passes a chunked body cut short by the client to the app as the whole body",
}  # fmt: skip


def pytest_terminal_summary(terminalreporter):
    """The lab's step durations, when lab tests ran (tests/lab_support.py records them)."""
    from tests import lab_support

    if lab_support.TIMINGS:
        terminalreporter.section("lab timings")
        for step, seconds in lab_support.TIMINGS.items():
            terminalreporter.line(f"{step}: {seconds:.1f} s")


def pytest_generate_tests(metafunc):
    # Session scope: pytest groups the tests by server and starts each server once. Other
    # tests (Locust, reports) need an API, not a second run of themselves.
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    if "api_server" in metafunc.fixturenames and module.startswith("test_api_"):
        only_gunicorn = metafunc.function.__name__ in GUNICORN_ONLY
        servers = [serve.DEFAULT_SERVER] if only_gunicorn else list(serve.SERVERS)
        metafunc.parametrize("api_server", servers, indirect=True, scope="session")


# Lab modules that regroup the shared lab's hosts (a balancer, a second app host, a Redis
# Cluster): they run after every other test, which all see the single-app configuration.
LAB_MODULES_LAST = ("test_lab_scaleout",)


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.path.stem in LAB_MODULES_LAST)  # stable: else unchanged
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("api_server") != "granian":
            continue
        for (name, value), why in GRANIAN_DIFFERS.items():
            if item.originalname == name and value in params.values():
                item.add_marker(pytest.mark.xfail(strict=True, reason=why))


@contextlib.contextmanager
def _log_on_failure(log: Path, lines: int = 20):
    """A server that never came up fails the test with the end of its log (CI keeps no files)."""
    try:
        yield
    except (RuntimeError, TimeoutError) as exc:
        tail = log.read_text(errors="replace").splitlines()[-lines:] if log.exists() else []
        raise type(exc)("\n".join([str(exc), f"the end of {log.name}:", *tail])) from exc


@pytest.fixture(scope="session")
def api_server(request) -> str:
    """The HTTP server under the API: both for the API's tests, else the default."""
    return getattr(request, "param", serve.DEFAULT_SERVER)


@pytest.fixture(scope="session")
def api(json_redis, tmp_path_factory, api_server):
    """The API (2 worker processes, 4 threads each) against the session's Redis.

    Gunicorn's workers are gthread; RIG_WORKER_CLASS means nothing to Granian.
    """
    log = tmp_path_factory.mktemp("api") / f"{api_server}.log"
    with _log_on_failure(log):
        running = serve.start(
            json_redis.url,
            settings={"RIG_WORKERS": "2", "RIG_WORKER_CLASS": "gthread", "RIG_THREADS": "4"},
            log_path=log,
            server=api_server,
        )
    yield running
    running.stop()


@pytest.fixture
def start_api(json_redis, tmp_path, api_server):
    """Start extra API instances (own settings, or another Redis) under the parametrized
    server; all stop after the test."""
    started = []

    def _start(redis_url: str | None = None, **settings: str):
        log = tmp_path / f"{api_server}-{len(started)}.log"
        with _log_on_failure(log):
            running = serve.start(
                redis_url or json_redis.url, settings=settings, log_path=log, server=api_server
            )
        started.append(running)
        return running

    yield _start
    for running in started:
        running.stop()


@pytest.fixture(scope="session")
def json_redis_cluster():
    """A real Redis Cluster of 3 primaries with the JSON module, for the whole session."""
    cluster = redis_cluster.start(3)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def cluster_api(json_redis_cluster, tmp_path_factory):
    """The API (2 gthread workers) speaking to the session's cluster (RIG_REDIS_CLUSTER=1)."""
    log = tmp_path_factory.mktemp("cluster-api") / "gunicorn.log"
    running = serve.start(
        json_redis_cluster.url,
        settings={
            "RIG_REDIS_CLUSTER": "1",
            "RIG_WORKERS": "2",
            "RIG_WORKER_CLASS": "gthread",
            "RIG_THREADS": "4",
        },
        log_path=log,
    )
    yield running
    running.stop()


@pytest.fixture(scope="session")
def shared_lab(tmp_path_factory):
    """The one lab-in-a-box of the session (tests/lab_support.py), brought down at its end."""
    from tests.lab_support import open_shared_lab

    with open_shared_lab(tmp_path_factory) as the_lab:
        yield the_lab


@pytest.fixture(scope="session")
def provisioned_lab(shared_lab):
    """The shared lab after one site.yml run (whoever needs it first makes it)."""
    if shared_lab.first_site is None:
        shared_lab.first_site = shared_lab.playbook()
    return shared_lab


@pytest.fixture(scope="session")
def converged_lab(provisioned_lab):
    """The provisioned lab, for tests that build on its first site.yml having passed."""
    from tests.lab_support import tail

    result, _seconds = provisioned_lab.first_site
    assert result.returncode == 0, tail(result)
    return provisioned_lab
