"""Every client mistake gets a JSON error with a stable code, never a 500 or an HTML page."""

import orjson
import pytest
import requests

JSON_HEADERS = {"Content-Type": "application/json"}


def assert_error(response, status, code):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert "Traceback" not in response.text


@pytest.fixture(scope="module")
def stored(api):
    ids = {}
    for kind in ("json", "string"):
        response = requests.post(f"{api.url}/api/v1/add_{kind}", json={"a": {"b": [1, 2]}},
                                 params={"id": "errors-doc"})  # fmt: skip
        ids[kind] = response.json()["id"]
    return ids


@pytest.mark.parametrize("kind", ["json", "string"])
@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "invalid_json"),
        (b'{"a": NaN}', "invalid_json"),
        (b'{"a": 1', "invalid_json"),
        (b"\xff\xfe{}", "invalid_json"),
        (b'{"a": "\xff"}', "invalid_json"),
        (b'{"a": 1} trailing', "invalid_json"),
        (b'{"a": 1,}', "invalid_json"),
        (b'{"a": "\\ud800"}', "invalid_json"),
        (b"", "empty_body"),
        (b"   ", "empty_body"),
        (b"[1, 2]", "not_an_object"),
        (b'"text"', "not_an_object"),
    ],
)
def test_bad_bodies_are_400(api, kind, body, code):
    response = requests.post(f"{api.url}/api/v1/add_{kind}", data=body, headers=JSON_HEADERS)
    assert_error(response, 400, code)


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_wrong_content_type_is_415(api, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = requests.post(f"{api.url}/api/v1/add_json", data=b'{"a": 1}', headers=headers)
    assert_error(response, 415, "unsupported_media_type")


def test_a_body_over_the_limit_is_413(api):
    huge = orjson.dumps({"blob": "x" * (1024 * 1024 + 10)})
    response = requests.post(f"{api.url}/api/v1/add_json", data=huge, headers=JSON_HEADERS)
    assert_error(response, 413, "body_too_large")


def test_the_body_limit_follows_RIG_MAX_BODY_BYTES(start_api):
    small_limit = start_api(RIG_MAX_BODY_BYTES="100", RIG_WORKERS="1")
    url = f"{small_limit.url}/api/v1/add_json"
    assert requests.post(url, json={"a": "x" * 50}).status_code == 201
    assert_error(requests.post(url, json={"a": "x" * 200}), 413, "body_too_large")


@pytest.mark.parametrize("bad_id", ["has space", "x" * 129, "bang!", "ü", "a/b", "*"])
def test_invalid_ids_are_400(api, bad_id):
    response = requests.post(f"{api.url}/api/v1/add_json", json={"a": 1}, params={"id": bad_id})
    assert_error(response, 400, "invalid_id")
    if "/" not in bad_id:  # a slash makes another URL, which is a 404
        assert_error(requests.get(f"{api.url}/api/v1/json/{bad_id}"), 400, "invalid_id")


@pytest.mark.parametrize("path", ["$..[", "$.a[", "$[?(@.x=", "a.b", ""])
def test_invalid_jsonpath_is_400(api, stored, path):
    url = f"{api.url}/api/v1/json/{stored['json']}"
    assert_error(requests.get(url, params={"path": path}), 400, "invalid_path")
    assert_error(requests.patch(url, params={"path": path}, json=1), 400, "invalid_path")


@pytest.mark.parametrize("path", ["$..b", "$.a[*]", "$.a.b[-1]", "$.a[1:2]", "$.a[0,1]"])
def test_string_documents_refuse_paths_beyond_the_simple_ones(api, stored, path):
    url = f"{api.url}/api/v1/string/{stored['string']}"
    response = requests.get(url, params={"path": path})
    assert_error(response, 400, "unsupported_path")
    assert "$.a.b" in response.json()["error"]["message"]


@pytest.mark.parametrize("kind", ["json", "string"])
def test_patch_without_a_path_is_400(api, stored, kind):
    response = requests.patch(f"{api.url}/api/v1/{kind}/{stored[kind]}", json=1)
    assert_error(response, 400, "missing_path")


@pytest.mark.parametrize("kind", ["json", "string"])
def test_patch_with_an_invalid_value_is_400_and_changes_nothing(api, stored, kind):
    url = f"{api.url}/api/v1/{kind}/{stored[kind]}"
    before = requests.get(url).json()
    response = requests.patch(url, params={"path": "$.a.b"}, data=b"{oops", headers=JSON_HEADERS)
    assert_error(response, 400, "invalid_json")
    assert requests.get(url).json() == before


def test_wrong_methods_are_405_with_allow(api):
    response = requests.get(f"{api.url}/api/v1/add_json")
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]
    assert_error(requests.post(f"{api.url}/api/v1/json/x", json={}), 405, "method_not_allowed")


def test_unknown_urls_are_json_404(api):
    assert_error(requests.get(f"{api.url}/nothing/here"), 404, "not_found")
