"""Failure messages name the cause: the rig's users against real sockets and the real API.

Each test runs one of the users' own tasks against a server that misbehaves in one way (a
port nobody listens on, a listener whose queue is full, a server that resets or stalls, the
API answering 4xx or 503) and reads the message Locust would count in its failure table.
"""

import os
import socket
import struct
import threading
from types import SimpleNamespace

import pytest

# Import locust without monkey-patching the test process (see test_loadgen_units.py);
# geventhttpclient uses gevent's own sockets, so the users still run here.
os.environ["LOCUST_SKIP_MONKEY_PATCH"] = "1"
try:
    from locust.env import Environment
finally:
    del os.environ["LOCUST_SKIP_MONKEY_PATCH"]

from loadgen import causes, users
from loadgen.options import Workload
from rig.ports import free_port


class _QuickUser(users.JsonApiUser):
    abstract = True


def _failures(host: str, task) -> list[str]:
    """Run `task(user)` once; the failure messages Locust's request event received."""
    user_class = type("TargetedUser", (_QuickUser,), {"host": host})
    environment = Environment(user_classes=[user_class], host=host)
    seen = []

    def _record(exception=None, **_kwargs):
        if exception is not None:
            seen.append(str(exception.args[0] if exception.args else exception))

    environment.events.request.add_listener(_record)
    user = user_class(environment)
    try:
        task(user)
    finally:
        user.client.client.clientpool.close()  # a kept-alive connection would delay shutdown
    return seen


@pytest.fixture(autouse=True)
def _workload(monkeypatch):
    # Short timeouts, so a stalled server fails a test in a second.
    quick = Workload(doc_size="small", seed_count=1, request_timeout=1.0)
    monkeypatch.setattr(users, "WORKLOAD", quick)
    monkeypatch.setattr(users, "SEED_IDS", ("seed-not-there",))


class _Server(threading.Thread):
    """A listener on a free loopback port that treats each connection with `handle`."""

    def __init__(self, handle, backlog: int = 16):
        super().__init__(daemon=True)
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=backlog)
        self.port = self.sock.getsockname()[1]
        self.handle = handle
        self.held: list[socket.socket] = []
        self.stop = threading.Event()

    def run(self):
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.handle(self, conn)

    def close(self):
        self.stop.set()
        self.join(2)
        for conn in self.held:
            conn.close()
        self.sock.close()


def _reset(server: _Server, conn: socket.socket) -> None:
    conn.recv(65536)
    # Linger 0: close() sends RST instead of FIN, as a crashed or overloaded proxy does.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def _hang_up(server: _Server, conn: socket.socket) -> None:
    conn.recv(65536)
    conn.close()  # an orderly close (FIN) without a word


def _stall(server: _Server, conn: socket.socket) -> None:
    server.held.append(conn)  # read nothing, answer nothing, keep it open


def _add_json(user) -> None:
    user.add_json()


def test_a_port_nobody_listens_on_is_connection_refused():
    messages = _failures(f"http://127.0.0.1:{free_port()}", _add_json)
    assert messages == ["connection refused (no HTTP response; expected 201)"]


def test_a_server_that_resets_is_connection_reset():
    server = _Server(_reset)
    server.start()
    try:
        messages = _failures(f"http://127.0.0.1:{server.port}", _add_json)
    finally:
        server.close()
    assert messages == ["connection reset (no HTTP response; expected 201)"]


def test_a_server_that_hangs_up_is_connection_closed():
    server = _Server(_hang_up)
    server.start()
    try:
        messages = _failures(f"http://127.0.0.1:{server.port}", _add_json)
    finally:
        server.close()
    assert messages == ["connection closed before a response (no HTTP response; expected 201)"]


def test_a_server_that_stalls_is_read_timeout():
    server = _Server(_stall)
    server.start()
    try:
        messages = _failures(f"http://127.0.0.1:{server.port}", lambda u: u.get_json())
    finally:
        server.close()
    assert messages == ["read timeout (no HTTP response; expected 200)"]


def test_a_listener_whose_queue_is_full_is_connect_timeout():
    # Nobody accepts; once the kernel's accept queue (backlog 0 holds one) is full, further
    # handshakes get no answer at all, which is what a client of a saturated server sees.
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        messages = _failures(f"http://127.0.0.1:{port}", _add_json)
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
    assert messages == ["connect timeout (no HTTP response; expected 201)"]


def test_the_api_answering_404_names_its_error_code(api):
    messages = _failures(api.url, lambda u: u.get_json_field())
    assert messages == [
        "HTTP 404 document_not_found: were the documents seeded (--seed-count, rig seed)?"
    ]


def test_the_api_answering_400_names_its_error_code(api):
    messages = _failures(api.url, lambda u: u._add("json", b'{"broken": ', "bad body"))
    assert messages == ["HTTP 400 invalid_json (expected 201)"]


def test_the_api_without_redis_answers_503_redis_unavailable(start_api):
    dead = start_api(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    messages = _failures(dead.url, _add_json)
    assert messages == ["HTTP 503 redis_unavailable (expected 201)"]


@pytest.mark.parametrize(
    "body, code",
    [
        (b'{"error": {"code": "body_too_large", "message": "x"}}', "body_too_large"),
        (b'{"error": {"code": "has spaces and | pipes"}}', None),
        (b'{"error": "flat"}', None),
        (b"[1, 2]", None),
        (b"<html>502</html>", None),
        (b"", None),
        (None, None),
    ],
)
def test_error_code_takes_only_a_short_token_from_the_body(body, code):
    assert causes.error_code(body) == code


def test_a_response_without_a_known_error_is_still_named():
    response = SimpleNamespace(status_code=0, error=None, content=None)
    assert causes.problem(response, 200) == "no response (no HTTP response; expected 200)"
    response = SimpleNamespace(status_code=502, content=b"<html>bad gateway</html>")
    assert causes.problem(response, 200) == "HTTP 502 (expected 200)"
    assert causes.problem(SimpleNamespace(status_code=200, content=b""), 200) is None


@pytest.mark.parametrize(
    "given, closes, timeout",
    [
        ({"wait_min": 80, "wait_max": 120, "server_keepalive": 15}, True, 60.0),
        ({"wait_min": 10, "wait_max": 20, "server_keepalive": 15}, False, 60.0),
        ({"wait_min": 80, "wait_max": 120, "server_keepalive": 0}, False, 60.0),
        ({"wait_min": 80, "server_keepalive": -3, "request_timeout": -1}, False, 0.1),
        ({"wait_min": 0, "server_keepalive": None, "request_timeout": 0}, False, 60.0),
    ],
)
def test_idle_users_close_only_when_they_outwait_the_keepalive(given, closes, timeout):
    workload = Workload.from_options(SimpleNamespace(**given))
    assert workload.closes_idle_connections is closes
    assert workload.request_timeout == timeout
