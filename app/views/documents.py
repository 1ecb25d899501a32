"""The document endpoints under /api/v1, the same for RedisJSON and plain-string storage."""

import re
import uuid

from flask import Blueprint, Response, current_app, request

from app.errors import ApiError
from app.jsonbody import dumps, read_json_body
from app.jsonpath import is_root
from app.responses import bytes_response

blueprint = Blueprint("documents", __name__, url_prefix="/api/v1")
KINDS = ("json", "string")
_ID = re.compile(r"[A-Za-z0-9:_.\-]{1,128}")


def checked_id(doc_id: str) -> str:
    if not _ID.fullmatch(doc_id):
        raise ApiError(
            400, "invalid_id",
            "an id is 1-128 characters of letters, digits and ':_-.'",
        )  # fmt: skip
    return doc_id


def store(kind: str):
    return current_app.extensions["rig_stores"].by_kind(kind)


def required_path() -> str:
    path = request.args.get("path")
    if path is None:
        raise ApiError(400, "missing_path", "give the field to update as ?path=<JSONPath>")
    return path


def body_of(request, require_object: bool) -> bytes:
    limit = current_app.config["RIG_SETTINGS"].max_body_bytes
    return read_json_body(request, require_object, limit)


def add_document(kind: str) -> Response:
    body = body_of(request, require_object=True)
    doc_id = checked_id(request.args.get("id") or str(uuid.uuid4()))
    store(kind).add(doc_id, body)
    return bytes_response(dumps({"id": doc_id}), 201)


def get_document(kind: str, doc_id: str) -> Response:
    checked_id(doc_id)
    path = request.args.get("path")
    if path is None:
        return bytes_response(store(kind).get(doc_id))
    return bytes_response(store(kind).get_path(doc_id, path))


def patch_document(kind: str, doc_id: str) -> Response:
    checked_id(doc_id)
    path = required_path()
    # The whole document ($) stays an object, as POST and PUT require.
    value = body_of(request, require_object=is_root(path))
    updated = store(kind).set_path(doc_id, path, value)
    return bytes_response(dumps({"updated": updated}))


def put_document(kind: str, doc_id: str) -> Response:
    checked_id(doc_id)
    body = body_of(request, require_object=True)
    store(kind).replace(doc_id, body)
    return bytes_response(dumps({"id": doc_id}))


def delete_document(kind: str, doc_id: str) -> Response:
    checked_id(doc_id)
    store(kind).delete(doc_id)
    return bytes_response(dumps({"id": doc_id, "deleted": True}))


# Each kind gets its own URL rules (and so its own endpoint label in the metrics).
for _kind in KINDS:
    blueprint.add_url_rule(
        f"/add_{_kind}", f"add_{_kind}", add_document, methods=["POST"], defaults={"kind": _kind}
    )
    for _method, _view in (
        ("GET", get_document),
        ("PATCH", patch_document),
        ("PUT", put_document),
        ("DELETE", delete_document),
    ):
        blueprint.add_url_rule(
            f"/{_kind}/<doc_id>",
            f"{_method.lower()}_{_kind}",
            _view,
            methods=[_method],
            defaults={"kind": _kind},
        )
