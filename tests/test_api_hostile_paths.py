"""Hostile JSONPaths: none may crash Redis, each gets a clean 400, names are addressed exactly."""

import uuid

import pytest
import redis
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.errors import ApiError
from app.jsonpath import MAX_INDEX, redis_path
from rig import redis_server

BIG = 2**63  # RedisJSON 2.8 aborts the server on an index from here on (signal 6)

# Every shape from the report that took Redis down, and the same numbers elsewhere in a path.
CRASHING_PATHS = [
    f"$..[{BIG}]",
    f"$.a[{BIG}]",
    f"$.a[0:{BIG}]",
    f"$.a[{BIG}:]",
    f"$.a[{BIG},0]",
    f"$.a[-{BIG + 1}]",
    f"$[?(@[{BIG}]==1)]",
    f"$.a[{MAX_INDEX + 1}]",
    "$.😀",  # a syntax error after a 4-byte UTF-8 character also aborts RedisJSON
    "$['😀'][",
    "$[?(@.😀==1)]",
    "$..😀",
]


def assert_invalid_path(response):
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "invalid_path"


@pytest.fixture
def document(api):
    doc_id = f"paths-{uuid.uuid4().hex[:8]}"
    body = {"a": [1, 2, [3, 4]], "b": {"c": 5}}
    assert requests.post(f"{api.url}/api/v1/add_json", json=body,
                         params={"id": doc_id}).status_code == 201  # fmt: skip
    return f"{api.url}/api/v1/json/{doc_id}", body


@pytest.mark.parametrize("path", CRASHING_PATHS)
def test_paths_that_crashed_redis_are_400_and_redis_stays_up(document, redis_client, path):
    url, body = document
    assert_invalid_path(requests.get(url, params={"path": path}))
    assert_invalid_path(requests.patch(url, params={"path": path}, json=7))
    assert redis_client.ping()
    assert requests.get(url).json() == body


@pytest.mark.parametrize(
    ("path", "key"),
    [("$['it\\'s']", "it's"), ('$["it\'s"]', "it's"), ('$["say \\"hi\\""]', 'say "hi"'),
     ('$["it\'s \\"x\\""]', None),
     ("$['a b']", "a b"), ("$['trail ']", "trail "), ("$['ü']", "ü"), ("$['']", "")],
)  # fmt: skip
def test_patch_creates_exactly_the_named_key_or_refuses(document, path, key):
    url, body = document
    response = requests.patch(url, params={"path": path}, json=1)
    if key is None:  # both kinds of quotes in one name: RedisJSON cannot write it exactly
        assert_invalid_path(response)
        assert requests.get(url).json() == body
        return
    assert response.status_code == 200, response.text
    assert requests.get(url).json() == {**body, key: 1}
    assert requests.get(url, params={"path": path}).json() == [1]


@pytest.mark.parametrize(
    "path", ["$[' lead']", '$["back\\\\slash"]', "$[' ']", "$['it\\'s'][?(@.a)]"]
)
def test_names_redisjson_cannot_address_are_refused_for_json_documents(api, document, path):
    url, body = document
    assert_invalid_path(requests.get(url, params={"path": path}))
    assert_invalid_path(requests.patch(url, params={"path": path}, json=1))
    assert requests.get(url).json() == body


def test_filters_reach_redisjson_as_written(document):
    url, _ = document
    assert requests.get(url, params={"path": "$.a[?(@ > 1)]"}).json() == [2]
    assert_invalid_path(requests.get(url, params={"path": "$.a[?(@ == 'é')]"}))


def test_string_documents_address_those_names_exactly(api):
    doc_id = f"names-{uuid.uuid4().hex[:8]}"
    body = {" lead": 1, "back\\slash": 2}
    assert requests.post(f"{api.url}/api/v1/add_string", json=body,
                         params={"id": doc_id}).status_code == 201  # fmt: skip
    url = f"{api.url}/api/v1/string/{doc_id}"
    assert requests.get(url, params={"path": "$[' lead']"}).json() == [1]
    assert requests.patch(url, params={"path": '$["back\\\\slash"]'}, json=3).ok
    assert requests.get(url).json() == {" lead": 1, "back\\slash": 3}


@pytest.mark.parametrize("kind", ["json", "string"])
def test_string_and_json_documents_bound_indexes_alike(document, api, kind):
    doc_id = f"bound-{uuid.uuid4().hex[:8]}"
    requests.post(f"{api.url}/api/v1/add_{kind}", json={"a": [1]}, params={"id": doc_id})
    url = f"{api.url}/api/v1/{kind}/{doc_id}"
    assert_invalid_path(requests.get(url, params={"path": f"$.a[{BIG}]"}))
    assert requests.get(url, params={"path": f"$.a[{MAX_INDEX}]"}).json() == []


# Random paths straight into a Redis of their own: whatever the parser lets through must
# leave RedisJSON running (an error reply is fine, an abort is not).
PATH_PIECES = st.sampled_from(
    ["$", ".", "..", "[", "]", "*", ",", ":", "?", "@", "(", ")", "'", '"', "\\", " ", "==", "a",
     "b", "😀", "é", "-", "0", "1", "-1", str(MAX_INDEX), str(BIG), str(2**53), "[0]", "['a']",
     "[?(@.a > 1)]", "[::2]", "[-3:]", "length(@)"]
)  # fmt: skip


@pytest.fixture(scope="module")
def own_redis():
    server = redis_server.start()
    client = redis.Redis.from_url(server.url, socket_timeout=5)
    yield server, client
    client.close()
    server.stop()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(pieces=st.lists(PATH_PIECES, min_size=1, max_size=12), raw=st.text(max_size=20))
def test_no_path_the_parser_accepts_crashes_redis(own_redis, pieces, raw):
    server, client = own_redis
    document = '{"a":[1,2,{"a":[3]}],"b":{"😀":1,"a b":[4]}}'
    client.execute_command("JSON.SET", "doc", "$", document)
    for candidate in ("$" + "".join(pieces), "".join(pieces), "$" + raw):
        try:
            path = redis_path(candidate)
        except ApiError as exc:
            assert exc.status == 400 and exc.code == "invalid_path"
            continue
        for command in (("JSON.GET", "doc", path), ("JSON.SET", "doc", path, "1")):
            try:
                client.execute_command(*command)
            except redis.ResponseError:
                pass
            except redis.ConnectionError:
                pytest.fail(f"Redis died on {candidate!r} (sent as {path!r})")
        assert server.process.poll() is None, f"Redis died on {candidate!r}"
