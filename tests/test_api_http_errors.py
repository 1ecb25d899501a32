"""What Gunicorn itself answers: JSON errors for requests it cannot parse, a read timeout.

Raw HTTP over a socket: these requests are what HTTP client libraries refuse to send.
"""

import socket

import orjson
import pytest
import requests

from tests.test_api_hostile_bodies import raw_request

CRLF = "\r\n"


def request_bytes(request_line: str, headers: list[str], body: bytes = b"") -> bytes:
    return (request_line + CRLF + CRLF.join(["Host: test", *headers]) + CRLF * 2).encode() + body


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [(request_bytes("GET /" + "a" * 5000 + " HTTP/1.1", []), 414, "request_line_too_long"),
     (request_bytes("GET /healthz HTTP/1.1", ["X-Big: " + "b" * 9000]), 431, "headers_too_large"),
     (request_bytes("GET /healthz HTTP/1.1", [f"X-{i}: v" for i in range(150)]), 431,
      "headers_too_large"),
     (request_bytes("GET /healthz HTTP/9.9", []), 400, "bad_request"),
     (request_bytes("POST /api/v1/add_json HTTP/1.1",
                    ["Transfer-Encoding: gzip", "Content-Type: application/json"]), 400,
      "bad_request"),
     (request_bytes("POST /api/v1/add_json HTTP/1.1",
                    ["Content-Length: 2", "Transfer-Encoding: chunked",
                     "Content-Type: application/json"], b"2\r\n{}\r\n0\r\n\r\n"), 400,
      "bad_request")],
    ids=["long-request-line", "huge-header", "many-headers", "bad-version", "te-gzip",
         "cl-and-te"],
)  # fmt: skip
def test_requests_gunicorn_refuses_get_json_errors(api, raw, status, code):
    answered, headers, body = raw_request(api.port, raw)
    assert answered == status, body
    assert headers["content-type"] == "application/json"
    error = orjson.loads(body)["error"]
    assert error["code"] == code
    assert error["message"]


def test_options_is_a_json_405_with_allow(api):
    response = requests.options(f"{api.url}/api/v1/add_json")
    assert response.status_code == 405
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert response.headers["Allow"] == "POST"


def _closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closed `sock` (answered or not) before our 20 s patience ran out."""
    sock.settimeout(20)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return True


@pytest.mark.parametrize(
    ("settings", "idle_count"),
    [({"RIG_WORKER_CLASS": "gevent", "RIG_WORKER_CONNECTIONS": "5"}, 8),
     ({"RIG_WORKER_CLASS": "sync", "RIG_THREADS": "1"}, 2),  # more threads: Gunicorn runs gthread
     # gthread parks a silent connection in its poller (until keepalive), holding no thread:
     # only the trickling ones can starve it.
     ({"RIG_WORKER_CLASS": "gthread", "RIG_THREADS": "2"}, 0)],
    ids=["gevent", "sync", "gthread"],
)  # fmt: skip
def test_idle_and_slow_clients_are_dropped_and_cannot_starve_the_worker(
    start_api, settings, idle_count
):
    api = start_api(RIG_WORKERS="1", RIG_READ_TIMEOUT="1", **settings)
    idle = [socket.create_connection(("127.0.0.1", api.port)) for _ in range(idle_count)]
    slow_headers = socket.create_connection(("127.0.0.1", api.port))
    slow_headers.sendall(b"GET /healthz HTTP/1.1\r\nHost: te")
    slow_body = socket.create_connection(("127.0.0.1", api.port))
    slow_body.sendall(
        request_bytes(
            "POST /api/v1/add_json HTTP/1.1",
            ["Content-Type: application/json", "Content-Length: 100"],
            b'{"a": 1',
        )
    )
    try:
        # More stalled connections than the worker has slots: it answers all the same.
        assert requests.get(f"{api.url}/healthz", timeout=60).status_code == 200
        assert all(_closed_by_server(sock) for sock in [*idle, slow_headers, slow_body])
        assert requests.get(f"{api.url}/healthz", timeout=60).status_code == 200
    finally:
        for sock in [*idle, slow_headers, slow_body]:
            sock.close()


def test_keep_alive_connections_outlive_the_read_timeout(start_api):
    api = start_api(RIG_WORKERS="1", RIG_READ_TIMEOUT="1")
    with socket.create_connection(("127.0.0.1", api.port), timeout=20) as sock:
        request = request_bytes("GET /healthz HTTP/1.1", [])
        sock.sendall(request)
        assert _one_response(sock).startswith(b"HTTP/1.1 200")
        sock.settimeout(2.5)  # idle longer than the read timeout, well within keepalive (75 s)
        with pytest.raises(TimeoutError):
            sock.recv(65536)
        sock.settimeout(20)
        sock.sendall(request)
        assert _one_response(sock).startswith(b"HTTP/1.1 200")


def _one_response(sock: socket.socket) -> bytes:
    """Exactly one response with a Content-Length, however the bytes arrive."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))  # fmt: skip
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection"
        body += chunk
    return data
