"""docs/own-service.md followed word for word: its locustfile and its `rig local --target`
command against a small Flask service with its own Redis, which the rig only watches."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import redis as redis_py

from rig import redis_server
from rig.paths import REPO_ROOT
from rig.ports import free_port, http_ok, wait_until
from tests.test_local_live import Watched

pytestmark = pytest.mark.live
GUIDE = REPO_ROOT / "docs" / "own-service.md"
GUIDE_URL, GUIDE_REDIS = "http://127.0.0.1:5000", "redis://127.0.0.1:6379/0"

# The service under test: two endpoints over its own keys (svc:*), nothing of the rig's.
SERVICE = """
import os

import redis
from flask import Flask, jsonify, request

app = Flask(__name__)
db = redis.Redis.from_url(os.environ["SERVICE_REDIS_URL"])


@app.post("/items")
def add_item():
    number = db.incr("svc:next")
    db.set(f"svc:item:{number}", request.get_data())
    return jsonify(id=number), 201


@app.get("/items/<int:number>")
def read_item(number):
    value = db.get(f"svc:item:{number}")
    return (value, 200) if value else (jsonify(error="not found"), 404)
"""


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.S | re.M)


def guide_command(text: str) -> list[str]:
    """The guide's `rig local --target` command, continuation lines joined."""
    for block in code_blocks(text, "sh"):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            if "rig local --target" in line:
                return shlex.split(line.split("#")[0])
    raise AssertionError("the guide shows no `rig local --target` command")


@pytest.fixture
def service(tmp_path):
    """The Flask service on a free port, with a Redis of its own holding a foreign key."""
    db = redis_server.start(log_path=tmp_path / "service-redis.log")
    client = redis_py.Redis.from_url(db.url)
    client.set("inventory:widgets", "42")
    client.hset("inventory:owner", mapping={"team": "payments"})
    client.set("svc:item:1", b'{"name": "first"}')
    (tmp_path / "service.py").write_text(SERVICE)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "service", "run", "--port", str(port)],
        cwd=tmp_path, env={"SERVICE_REDIS_URL": db.url, "PATH": "/usr/bin:/bin"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: http_ok(f"{url}/items/1"), 30, "the service",
                   alive=lambda: proc.poll() is None)  # fmt: skip
        yield url, db.url, client
    finally:
        proc.terminate()
        proc.wait(10)
        client.close()
        db.stop()


def test_the_guide_takes_a_user_from_their_service_to_a_report(service, tmp_path):
    url, redis_url, client = service
    text = GUIDE.read_text()
    (locustfile,) = [b for b in code_blocks(text, "python") if b.startswith("# my_locustfile.py")]
    work = tmp_path / "work"
    work.mkdir()
    (work / "my_locustfile.py").write_text(locustfile)
    argv = guide_command(text)
    assert argv[:3] == [".venv/bin/rig", "local", "--target"] and GUIDE_URL in argv
    args = [a.replace(GUIDE_URL, url).replace(GUIDE_REDIS, redis_url) for a in argv[2:]]
    args = [str(work / a) if a == "my_locustfile.py" else a for a in args]
    before = {k: client.dump(k) for k in (b"inventory:widgets", b"inventory:owner")}
    # Lighter than the guide's minute: Watched runs every test for its own 20 s.
    i = args.index("--run-time")
    del args[i : i + 2]
    watched = Watched(*args, "--workers", "2", "--results-dir", str(tmp_path / "results"))
    code, out = watched.wait(timeout=240)
    assert code == 0, out
    summary = Path(out.strip().splitlines()[-1])
    text = summary.read_text()
    assert f"| Target | {url} (this host) |" in text
    assert "| POST | /items |" in text and "| GET | /items/[id] |" in text
    assert "| Redis | local |" in text  # its Redis, through redis_exporter
    for chart in ("throughput", "latency_endpoints", "distribution", "redis"):
        assert f"](charts/{chart}.png)" in text, chart
    # Watched, not touched: the foreign keys are as they were and no key of the rig appeared.
    assert {k: client.dump(k) for k in before} == before
    assert client.keys("rig:*") == []
    assert int(client.get("svc:next")) > 10  # the load did reach the service
    assert watched.leftovers() == []
