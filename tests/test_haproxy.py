"""HAProxy in front of real API instances: the role's template, balancing, keep-alive to the
backends, /readyz health checks, and the JSON 503 when no instance is ready."""

import pytest
import requests

from rig import haproxy, redis_server, serve
from rig.errors import RigError
from tests.support import require_binary


@pytest.fixture
def balanced(tmp_path, json_redis):
    """Two API instances (1 worker each) behind a local HAProxy; everything stops after."""
    require_binary("haproxy", "haproxy")
    started = []

    def _start(redis_url=None, instances=2):
        apis = [
            serve.start(redis_url or json_redis.url, settings={"RIG_WORKERS": "1"},
                        log_path=tmp_path / f"api-{i}.log")
            for i in range(instances)
        ]  # fmt: skip
        started.extend(apis)
        backends = [haproxy.Backend(f"app{i + 1}", "127.0.0.1", a.port) for i, a in enumerate(apis)]
        balancer = haproxy.start(backends, tmp_path / "haproxy", log_path=tmp_path / "haproxy.log")
        started.append(balancer)
        return balancer, apis

    yield _start
    for running in reversed(started):
        running.stop()


def scrape(balancer) -> dict[str, float]:
    figures = {}
    for line in requests.get(balancer.metrics_url, timeout=5).text.splitlines():
        if line.startswith("haproxy_") and " " in line:
            name, value = line.rsplit(" ", 1)
            figures[name] = float(value)
    return figures


@pytest.mark.parametrize("count", [1, 3])
def test_the_rendered_config_passes_haproxys_own_check(tmp_path, count):
    require_binary("haproxy", "haproxy")
    backends = [haproxy.Backend(f"app{i}", "127.0.0.1", 8000 + i) for i in range(count)]
    path = tmp_path / "haproxy.cfg"
    path.write_text(haproxy.render_config(backends, 8080, 8404))
    haproxy.check_config(path)
    assert "option httpchk GET /readyz" in path.read_text()


def test_no_backends_is_a_clear_error():
    with pytest.raises(RigError, match="at least one backend"):
        haproxy.render_config([], 8080, 8404)


def test_requests_spread_evenly_and_reuse_backend_connections(balanced):
    balancer, _apis = balanced()
    with requests.Session() as session:
        for i in range(40):
            response = session.post(f"{balancer.url}/api/v1/add_json", json={"i": i})
            assert response.status_code == 201
    figures = scrape(balancer)
    served = [
        figures[f'haproxy_server_http_responses_total{{proxy="app",server="app{n}",code="2xx"}}']
        for n in (1, 2)
    ]
    assert served == [20, 20]  # roundrobin
    attempts = sum(
        figures[f'haproxy_server_connection_attempts_total{{proxy="app",server="app{n}"}}']
        for n in (1, 2)
    )
    assert attempts < 10, "keep-alive: backend connections are reused, not opened per request"


def test_a_stopped_instance_leaves_the_pool_and_clients_never_see_it(balanced):
    balancer, apis = balanced()
    apis[0].stop()
    haproxy_down = lambda: haproxy.backends_up(balancer.metrics_url) == 1  # noqa: E731
    from rig.ports import wait_until

    wait_until(haproxy_down, 30, "HAProxy marking the stopped instance DOWN")
    for i in range(10):
        assert requests.post(f"{balancer.url}/api/v1/add_json", json={"i": i}).status_code == 201


def test_no_ready_instance_gives_a_json_503_and_recovery_is_automatic(balanced, tmp_path):
    from rig.ports import free_port, wait_until

    port = free_port()
    server = redis_server.start(port=port, data_dir=tmp_path / "redis")
    try:
        balancer, _apis = balanced(server.url)
        server.stop()
        wait_until(lambda: haproxy.backends_up(balancer.metrics_url) == 0, 30,
                   "HAProxy marking both instances DOWN")  # fmt: skip
        response = requests.get(f"{balancer.url}/api/v1/json/anything")
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "no_backend_ready"
        server = redis_server.start(port=port, data_dir=tmp_path / "redis")
        wait_until(lambda: haproxy.backends_up(balancer.metrics_url) == 2, 30,
                   "HAProxy marking both instances UP again")  # fmt: skip
        assert requests.post(f"{balancer.url}/api/v1/add_json", json={"a": 1}).status_code == 201
    finally:
        server.stop()
