"""Validating request bodies as JSON (orjson: fast, strict UTF-8, no NaN) and encoding answers."""

import orjson
from flask import Request

from app.errors import ApiError

JSON_MIMETYPES = ("application/json",)


def dumps(value) -> bytes:
    return orjson.dumps(value)


def read_json_body(request: Request, require_object: bool) -> tuple[bytes, object]:
    """The raw body (passed to Redis unchanged) and its parsed value, or a 4xx ApiError."""
    mimetype = request.mimetype
    if mimetype not in JSON_MIMETYPES and not mimetype.endswith("+json"):
        raise ApiError(
            415, "unsupported_media_type",
            f"Content-Type must be application/json, not {mimetype or 'missing'!r}",
        )  # fmt: skip
    body = request.get_data(cache=False)  # raises 413 past MAX_CONTENT_LENGTH
    if not body.strip():
        raise ApiError(400, "empty_body", "the request body is empty; send a JSON document")
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON: {exc}") from None
    if require_object and not isinstance(value, dict):
        raise ApiError(
            400, "not_an_object",
            f"a document must be a JSON object, not {type(value).__name__}",
        )  # fmt: skip
    return body, value
