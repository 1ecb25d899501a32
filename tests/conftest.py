"""Fixtures that start real servers on free ports: Redis with RedisJSON, the API under Gunicorn.

Under RIG_NO_SKIP=1 (CI sets it) every skipped test fails instead, so CI always runs everything.
"""

import os

import pytest
import redis as redis_py

from rig import redis_server, serve


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


@pytest.fixture(scope="session")
def api(json_redis, tmp_path_factory):
    """The API under Gunicorn (2 gthread workers) against the session's Redis."""
    log = tmp_path_factory.mktemp("api") / "gunicorn.log"
    running = serve.start(
        json_redis.url,
        settings={"RIG_WORKERS": "2", "RIG_WORKER_CLASS": "gthread", "RIG_THREADS": "4"},
        log_path=log,
    )
    yield running
    running.stop()


@pytest.fixture
def start_api(json_redis, tmp_path):
    """Start extra API instances (own settings, or another Redis); all stop after the test."""
    started = []

    def _start(redis_url: str | None = None, **settings: str):
        log = tmp_path / f"gunicorn-{len(started)}.log"
        running = serve.start(redis_url or json_redis.url, settings=settings, log_path=log)
        started.append(running)
        return running

    yield _start
    for running in started:
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
