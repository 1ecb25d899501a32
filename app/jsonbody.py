"""Validating request bodies as JSON and encoding answers.

Bodies are checked with simdjson, which validates 15 KB in about 6 µs without building Python
objects (orjson.loads takes about 60 µs for the same, a quarter of the API's CPU per POST).
Whatever simdjson rejects or cannot represent (integers beyond 64 bits) goes to orjson, which
has the final word and precise error messages. The body itself goes to Redis unchanged.
"""

import threading

import orjson
import simdjson
from flask import Request

from app.errors import ApiError

# A simdjson parser reuses its buffers; it must not be shared by concurrent requests.
_local = threading.local()


def dumps(value) -> bytes:
    return orjson.dumps(value)


def _parser() -> simdjson.Parser:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = simdjson.Parser()
    return parser


def is_json_object(body: bytes) -> bool:
    """Whether `body` is one JSON object; raises ApiError 400 when it is not valid JSON."""
    try:
        document = _parser().parse(body)
        is_object = isinstance(document, simdjson.Object)
        del document  # the parser can be reused only when no proxy refers to it
        return is_object
    except (ValueError, RuntimeError, UnicodeDecodeError):
        pass
    try:
        return isinstance(orjson.loads(body), dict)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON: {exc}") from None


def read_json_body(request: Request, require_object: bool) -> bytes:
    """The raw body, checked to be JSON (an object when `require_object`), or a 4xx ApiError."""
    mimetype = request.mimetype
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise ApiError(
            415, "unsupported_media_type",
            f"Content-Type must be application/json, not {mimetype or 'missing'!r}",
        )  # fmt: skip
    body = request.get_data(cache=False)  # raises 413 past MAX_CONTENT_LENGTH
    if not body.strip():
        raise ApiError(400, "empty_body", "the request body is empty; send a JSON document")
    if not is_json_object(body) and require_object:
        raise ApiError(400, "not_an_object", "a document must be a JSON object")
    return body
