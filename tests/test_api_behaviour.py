"""Concurrency, Redis outages, metrics across workers, readiness and the key-prefix promise."""

import subprocess
import threading
import uuid

import pytest
import redis
import requests

from rig import processes, redis_server
from rig.ports import free_port, wait_until

FIELDS = 32


@pytest.mark.parametrize("kind", ["json", "string"])
def test_concurrent_patches_of_different_fields_never_lose_each_other(api, kind):
    doc_id = f"race-{uuid.uuid4().hex[:8]}"
    fields = {f"f{i:02d}": 0 for i in range(FIELDS)}
    assert requests.post(f"{api.url}/api/v1/add_{kind}", json={"fields": fields},
                         params={"id": doc_id}).status_code == 201  # fmt: skip
    url = f"{api.url}/api/v1/{kind}/{doc_id}"
    start = threading.Barrier(FIELDS)
    statuses = []

    def patch(name: str) -> None:
        with requests.Session() as session:
            start.wait(timeout=10)
            for round_ in range(1, 6):  # five rounds widen the window for lost updates
                response = session.patch(url, params={"path": f"$.fields.{name}"},
                                         json={"round": round_, "by": name})  # fmt: skip
                statuses.append(response.status_code)

    threads = [threading.Thread(target=patch, args=(name,)) for name in fields]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200] * FIELDS * 5
    final = requests.get(url).json()["fields"]
    assert final == {name: {"round": 5, "by": name} for name in fields}


def test_redis_going_away_gives_503_then_the_api_recovers(start_api, tmp_path):
    port = free_port()
    server = redis_server.start(port=port, data_dir=tmp_path / "redis")
    api = start_api(server.url, RIG_WORKERS="1")
    try:
        assert requests.post(f"{api.url}/api/v1/add_json", json={"a": 1},
                             params={"id": "before"}).status_code == 201  # fmt: skip
        server.stop()
        for method, url in (
            ("GET", f"{api.url}/api/v1/json/before"),
            ("POST", f"{api.url}/api/v1/add_string"),
        ):
            response = requests.request(method, url, json={"a": 1}, timeout=10)
            assert response.status_code == 503
            assert response.json()["error"]["code"] == "redis_unavailable"
        readiness = requests.get(f"{api.url}/readyz")
        assert readiness.status_code == 503
        assert "unreachable" in readiness.json()["error"]["message"]
        assert requests.get(f"{api.url}/healthz").status_code == 200

        server = redis_server.start(port=port, data_dir=tmp_path / "redis")
        assert requests.get(f"{api.url}/readyz").status_code == 200
        created = requests.post(f"{api.url}/api/v1/add_json", json={"b": 2}, params={"id": "after"})
        assert created.status_code == 201
        assert requests.get(f"{api.url}/api/v1/json/after").json() == {"b": 2}
    finally:
        server.stop()


def test_readyz_says_when_the_json_module_is_missing(start_api, tmp_path):
    port = free_port()
    binary = redis_server.server_candidates()[0]
    argv = [str(binary), "--port", str(port), "--save", "", "--dir", str(tmp_path)]
    plain = processes.spawn(argv)
    try:
        wait_until(lambda: _pings(redis.Redis(port=port)), 10, "plain redis-server")
        api = start_api(f"redis://127.0.0.1:{port}/0", RIG_WORKERS="1")
        readiness = requests.get(f"{api.url}/readyz")
        assert readiness.status_code == 503
        assert "JSON module" in readiness.json()["error"]["message"]
    finally:
        processes.stop(plain)


def _pings(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:
        return False


def test_metrics_count_requests_across_two_worker_processes(start_api, tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    api = start_api(RIG_WORKERS="2", RIG_WORKER_CLASS="sync",
                    PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))  # fmt: skip
    requests.post(f"{api.url}/api/v1/add_json", json={"a": 1}, params={"id": "counted"})
    total = 200
    barrier = threading.Barrier(8)

    def hammer() -> None:
        barrier.wait(timeout=10)
        for _ in range(total // 8):  # a new connection each time, so both workers answer
            requests.get(f"{api.url}/api/v1/json/counted", headers={"Connection": "close"})

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    worker_files = {path.name.split("_")[-1] for path in metrics_dir.glob("counter_*.db")}
    assert len(worker_files) == 2, "both workers should have answered requests"
    text = requests.get(f"{api.url}/metrics").text
    line = next(
        line for line in text.splitlines()
        if line.startswith("rig_api_requests_total{")
        and 'endpoint="/api/v1/json/<doc_id>"' in line and 'method="GET"' in line
    )  # fmt: skip
    assert float(line.rsplit(" ", 1)[1]) == total
    assert "rig_api_request_duration_seconds_bucket" in text


def test_keys_outside_the_prefix_are_never_touched(start_api, redis_client):
    outside = {
        b"other:json:doc": b"keep-1",
        b"rig": b"keep-2",
        b"rigx:json:doc": b"keep-3",
        b"teams:string:doc": b"keep-4",
    }
    for key, value in outside.items():
        redis_client.set(key, value)
    api = start_api(RIG_KEY_PREFIX="team:", RIG_WORKERS="1")
    base = f"{api.url}/api/v1"
    for kind in ("json", "string"):
        assert requests.post(f"{base}/add_{kind}", json={"a": 1}, params={"id": "doc"}).ok
        assert requests.patch(f"{base}/{kind}/doc", params={"path": "$.a"}, json=2).ok
        assert requests.put(f"{base}/{kind}/doc", json={"b": 1}).ok
        assert requests.delete(f"{base}/{kind}/doc").ok
    for key, value in outside.items():
        assert redis_client.get(key) == value


def test_an_invalid_prefix_stops_the_api_with_a_clear_message(tmp_path, json_redis):
    from rig import serve

    env = serve.gunicorn_env(json_redis.url, "127.0.0.1:1", {"RIG_KEY_PREFIX": "has space"})
    result = subprocess.run(serve.gunicorn_argv(), env=env, capture_output=True, text=True,
                            timeout=60, cwd=serve.REPO_ROOT)  # fmt: skip
    assert result.returncode != 0
    assert "RIG_KEY_PREFIX" in result.stderr
