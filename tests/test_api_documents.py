"""The document endpoints against a real Gunicorn + Redis with RedisJSON, for both storage kinds."""

import uuid

import orjson
import pytest
import requests

from loadgen.documents import make_document

KINDS = ["json", "string"]
JSON_HEADERS = {"Content-Type": "application/json"}


def post(api, kind, doc, doc_id=None):
    params = {"id": doc_id} if doc_id else None
    return requests.post(
        f"{api.url}/api/v1/add_{kind}", data=orjson.dumps(doc), headers=JSON_HEADERS, params=params
    )


def doc_url(api, kind, doc_id):
    return f"{api.url}/api/v1/{kind}/{doc_id}"


def fresh_id():
    return f"t-{uuid.uuid4().hex[:12]}"


@pytest.mark.parametrize("kind", KINDS)
def test_a_15_kb_document_round_trips_unchanged(api, kind):
    doc = make_document(0, "15k")
    assert 14_000 < len(orjson.dumps(doc)) < 17_000
    created = post(api, kind, doc)
    assert created.status_code == 201
    doc_id = created.json()["id"]
    uuid.UUID(doc_id)  # a fresh uuid4 when no ?id= is given
    got = requests.get(doc_url(api, kind, doc_id))
    assert got.status_code == 200
    assert got.headers["Content-Type"] == "application/json"
    assert got.json() == doc


@pytest.mark.parametrize("kind", KINDS)
def test_non_ascii_text_round_trips(api, kind):
    doc = {"name": "Pokémon Ünïcödé", "jp": "ポケモン", "emoji": "⚡🐭", "quote": 'a "b" \\ c'}
    doc_id = post(api, kind, doc, fresh_id()).json()["id"]
    assert requests.get(doc_url(api, kind, doc_id)).json() == doc
    field = requests.get(doc_url(api, kind, doc_id), params={"path": "$.jp"})
    assert field.json() == ["ポケモン"]


@pytest.mark.parametrize("kind", KINDS)
def test_the_id_comes_from_the_query_when_given(api, kind, redis_client):
    doc_id = fresh_id()
    assert post(api, kind, {"a": 1}, doc_id).json() == {"id": doc_id}
    assert redis_client.exists(f"rig:{kind}:{doc_id}")


@pytest.mark.parametrize("kind", KINDS)
def test_nested_get_returns_the_matches_as_an_array(api, kind):
    doc = make_document(1, "15k")
    doc_id = post(api, kind, doc, fresh_id()).json()["id"]
    url = doc_url(api, kind, doc_id)
    assert requests.get(url, params={"path": "$.stats.attack"}).json() == [doc["stats"]["attack"]]
    assert requests.get(url, params={"path": "$.moves[2]"}).json() == [doc["moves"][2]]
    assert requests.get(url, params={"path": "$['trainer']['city']"}).json() == [
        doc["trainer"]["city"]
    ]
    assert requests.get(url, params={"path": "$.no.such"}).json() == []


@pytest.mark.parametrize("kind", KINDS)
def test_patch_updates_a_nested_field_and_keeps_the_rest(api, kind):
    doc = make_document(2, "15k")
    doc_id = post(api, kind, doc, fresh_id()).json()["id"]
    url = doc_url(api, kind, doc_id)
    new_moves = {"name": "Überschall", "power": 1.5e300, "tags": [], "big": 12345678901234567890}
    patched = requests.patch(url, params={"path": "$.moves[1]"}, data=orjson.dumps(new_moves),
                             headers=JSON_HEADERS)  # fmt: skip
    assert patched.status_code == 200
    assert patched.json() == {"updated": 1}
    doc["moves"][1] = new_moves
    assert requests.get(url).json() == doc


@pytest.mark.parametrize("kind", KINDS)
def test_patch_creates_a_new_key_in_an_existing_object(api, kind):
    doc_id = post(api, kind, {"stats": {"hp": 1}, "empty": {}}, fresh_id()).json()["id"]
    url = doc_url(api, kind, doc_id)
    for path, value in (("$.stats.speed", 7), ("$.empty.first", "x")):
        response = requests.patch(url, params={"path": path}, json=value)
        assert response.status_code == 200, response.text
    assert requests.get(url).json() == {"stats": {"hp": 1, "speed": 7}, "empty": {"first": "x"}}


@pytest.mark.parametrize("kind", KINDS)
def test_patch_of_a_field_whose_parent_is_missing_is_404(api, kind):
    doc_id = post(api, kind, {"stats": {"hp": 1}, "list": [1]}, fresh_id()).json()["id"]
    url = doc_url(api, kind, doc_id)
    for path in ("$.nothing.here", "$.list[5]"):
        response = requests.patch(url, params={"path": path}, json=1)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "field_not_found"
    assert requests.get(url).json() == {"stats": {"hp": 1}, "list": [1]}


def test_patch_on_a_wildcard_path_says_how_many_places_changed(api):
    doc_id = post(api, "json", {"a": {"x": 1}, "b": {"x": 2}, "c": {"y": 3}}, fresh_id()).json()[
        "id"
    ]
    response = requests.patch(doc_url(api, "json", doc_id), params={"path": "$..x"}, json=0)
    assert response.json() == {"updated": 2}


@pytest.mark.parametrize("kind", KINDS)
def test_put_replaces_and_delete_removes(api, kind, redis_client):
    doc_id = post(api, kind, {"v": 1}, fresh_id()).json()["id"]
    url = doc_url(api, kind, doc_id)
    assert requests.put(url, json={"v": 2}).status_code == 200
    assert requests.get(url).json() == {"v": 2}
    assert requests.delete(url).json() == {"id": doc_id, "deleted": True}
    assert requests.get(url).status_code == 404
    assert not redis_client.exists(f"rig:{kind}:{doc_id}")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("method", ["GET", "PATCH", "PUT", "DELETE"])
def test_an_unknown_document_is_404_for_every_method(api, kind, method):
    response = requests.request(
        method, doc_url(api, kind, "never-stored"), params={"path": "$.a"}, json={"a": 1}
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "document_not_found"


@pytest.mark.parametrize("kind", KINDS)
def test_put_never_creates_a_document(api, kind, redis_client):
    doc_id = fresh_id()
    assert requests.put(doc_url(api, kind, doc_id), json={"a": 1}).status_code == 404
    assert not redis_client.exists(f"rig:{kind}:{doc_id}")


def test_string_documents_keep_their_bytes_outside_the_patched_field(api, redis_client):
    raw = b'{"b": 1.50, "a": [], "z": {"k": "\\u00e9"}, "n": 123456789012345678901234}'
    doc_id = fresh_id()
    created = requests.post(
        f"{api.url}/api/v1/add_string", data=raw, headers=JSON_HEADERS, params={"id": doc_id}
    )
    assert created.status_code == 201
    requests.patch(doc_url(api, "string", doc_id), params={"path": "$.z.k"}, json="e")
    assert redis_client.get(f"rig:string:{doc_id}") == raw.replace(b'"\\u00e9"', b'"e"')


def test_string_documents_match_keys_written_with_escapes(api):
    raw = b'{"caf\\u00e9": {"x": 1}}'
    doc_id = fresh_id()
    requests.post(f"{api.url}/api/v1/add_string", data=raw, headers=JSON_HEADERS,
                  params={"id": doc_id})  # fmt: skip
    got = requests.get(doc_url(api, "string", doc_id), params={"path": "$['café'].x"})
    assert got.json() == [1]


@pytest.mark.parametrize("kind", KINDS)
def test_integers_beyond_64_bits_are_valid_json(api, kind):
    raw = b'{"big": 123456789012345678901234567890}'
    created = requests.post(f"{api.url}/api/v1/add_{kind}", data=raw, headers=JSON_HEADERS)
    assert created.status_code == 201, created.text
