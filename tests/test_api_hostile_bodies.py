"""Hostile bodies and requests over a real socket: every refusal is a clean JSON 4xx, nothing lost.

Chunked framing is written by hand (raw HTTP), since HTTP client libraries only send it right.
"""

import socket
import uuid

import orjson
import pytest
import requests

from app.jsonbody import MAX_DEPTH

JSON_HEADERS = {"Content-Type": "application/json"}
KINDS = ["json", "string"]
BOM = b"\xef\xbb\xbf"


def assert_error(response, status, code):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == code


def nested(depth: int) -> bytes:
    """An object whose arrays and objects nest `depth` levels (the outer object is one)."""
    return b'{"a":' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"


def post(api, kind, body: bytes, doc_id=None):
    params = {"id": doc_id} if doc_id else None
    return requests.post(
        f"{api.url}/api/v1/add_{kind}", data=body, headers=JSON_HEADERS, params=params
    )


@pytest.fixture
def stored(api):
    """A fresh document of each kind, and its URL."""
    urls = {}
    for kind in KINDS:
        doc_id = f"hostile-{uuid.uuid4().hex[:8]}"
        assert post(api, kind, b'{"a": {"b": 1}, "s": "x"}', doc_id).status_code == 201
        urls[kind] = f"{api.url}/api/v1/{kind}/{doc_id}"
    return urls


@pytest.mark.parametrize("kind", KINDS)
def test_a_byte_order_mark_is_refused_for_documents_and_values(api, stored, kind):
    assert_error(post(api, kind, BOM + b'{"a": 1}'), 400, "invalid_json")
    url = stored[kind]
    before = requests.get(url).content
    patched = requests.patch(url, params={"path": "$.s"}, data=BOM + b'"y"', headers=JSON_HEADERS)
    assert_error(patched, 400, "invalid_json")
    assert requests.get(url).content == before


@pytest.mark.parametrize("kind", KINDS)
def test_one_depth_limit_for_both_kinds(api, stored, kind):
    assert post(api, kind, nested(MAX_DEPTH)).status_code == 201
    for depth in (MAX_DEPTH + 1, 128, 1024, 5000):
        assert_error(post(api, kind, nested(depth)), 400, "too_deep")
    url = stored[kind]
    value = b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)
    response = requests.patch(url, params={"path": "$.s"}, data=value, headers=JSON_HEADERS)
    assert_error(response, 400, "too_deep")
    brackets_in_a_string = b'{"a": "' + b"[" * 500 + b'"}'
    assert post(api, kind, brackets_in_a_string).status_code == 201


def test_duplicate_keys_read_the_same_in_both_kinds(api):
    body = b'{"d": false, "x": {"d": 1, "d": 2}, "d": 39}'
    urls = {}
    for kind in KINDS:
        doc_id = post(api, kind, body).json()["id"]
        urls[kind] = f"{api.url}/api/v1/{kind}/{doc_id}"
    for kind in KINDS:  # the last of duplicate names counts, as in RedisJSON
        assert requests.get(urls[kind], params={"path": "$.d"}).json() == [39]
        assert requests.get(urls[kind], params={"path": "$.x.d"}).json() == [2]
    for kind in KINDS:
        patched = requests.patch(urls[kind], params={"path": "$.d"}, json=40)
        assert patched.status_code == 200
        assert requests.get(urls[kind], params={"path": "$.d"}).json() == [40]
        assert requests.get(urls[kind]).json()["d"] == 40  # what any JSON parser reads


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("value", [b"[1, 2]", b"3", b'"text"', b"null"])
def test_patching_the_root_keeps_an_object(api, stored, kind, value):
    url = stored[kind]
    before = requests.get(url).content
    response = requests.patch(url, params={"path": "$"}, data=value, headers=JSON_HEADERS)
    assert_error(response, 400, "not_an_object")
    assert requests.get(url).content == before
    assert requests.patch(url, params={"path": "$"}, json={"new": 1}).status_code == 200
    assert requests.get(url).json() == {"new": 1}


def raw_request(port: int, request: bytes) -> tuple[int, dict, bytes]:
    """Send bytes as they are; the status, headers and body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)  # the server sees where the request ends
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), headers, body


def chunked_post(path: str, framing: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode() + framing


def chunks(body: bytes, size: int = 40) -> bytes:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"


@pytest.fixture(scope="module")
def small_limit_api(json_redis, tmp_path_factory):
    from rig import serve

    log = tmp_path_factory.mktemp("small-limit") / "gunicorn.log"
    running = serve.start(json_redis.url, settings={"RIG_WORKERS": "1",
                          "RIG_MAX_BODY_BYTES": "100"}, log_path=log)  # fmt: skip
    yield running
    running.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_chunked_bodies_over_the_limit_are_413_and_not_stored(small_limit_api, redis_client, kind):
    doc_id = f"chunked-{uuid.uuid4().hex[:8]}"
    # Valid JSON even when cut at the limit: a cut body would have been stored.
    body = b'{"a": 1}' + b" " * 200
    status, headers, answer = raw_request(
        small_limit_api.port, chunked_post(f"/api/v1/add_{kind}?id={doc_id}", chunks(body))
    )
    assert status == 413, answer
    assert headers["content-type"] == "application/json"
    assert orjson.loads(answer)["error"]["code"] == "body_too_large"
    assert not redis_client.exists(f"rig:{kind}:{doc_id}")
    status, _, answer = raw_request(
        small_limit_api.port,
        chunked_post(f"/api/v1/add_{kind}?id={doc_id}", chunks(b'{"a": 1}')),
    )
    assert status == 201, answer


@pytest.mark.parametrize(
    "framing",
    [b"zz\r\n{}\r\n0\r\n\r\n",  # a chunk size that is not hex
     b"2\r\n{}XX0\r\n\r\n",  # no CRLF after the chunk
     b"ffffffffffffffffffff\r\n{}\r\n0\r\n\r\n",  # a size beyond any integer type
     b"5\r\n{}"],  # the client stops in the middle of a chunk
)  # fmt: skip
def test_malformed_chunked_framing_is_a_json_400(api, framing):
    status, headers, answer = raw_request(api.port, chunked_post("/api/v1/add_json", framing))
    assert 400 <= status < 500, answer
    assert headers["content-type"] == "application/json"
    assert "error" in orjson.loads(answer)
    assert b"Traceback" not in answer


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("sent", [0, 8, 999])
def test_a_body_shorter_than_its_content_length_is_a_json_400_and_not_stored(
    api, redis_client, kind, sent
):
    """The client announces 1,000 bytes and stops after `sent` (a valid JSON object when cut
    at 8): refused, never stored cut, and the worker goes on serving."""
    doc_id = f"short-{uuid.uuid4().hex[:8]}"
    body = (b'{"a": 1}' + b" " * 992)[:sent]
    request = (
        f"POST /api/v1/add_{kind}?id={doc_id} HTTP/1.1\r\nHost: test\r\n"
        "Content-Type: application/json\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n"
    ).encode() + body
    status, headers, answer = raw_request(api.port, request)
    assert status == 400, answer
    assert headers["content-type"] == "application/json"
    assert orjson.loads(answer)["error"]["code"] == "invalid_body"
    assert not redis_client.exists(f"rig:{kind}:{doc_id}")
    assert post(api, kind, b'{"a": 1}', doc_id).status_code == 201
