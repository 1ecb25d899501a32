"""Reading a request body within RIG_MAX_BODY_BYTES, with or without a Content-Length.

Werkzeug refuses a Content-Length over the limit (413), but a chunked body has none, and
Werkzeug then silently stops reading at the limit: the cut body would be stored. So a body
without a length is read from the server's input stream here, one byte past the limit, and
refused when that byte arrives. A body with a length is read from the server's stream too,
in one read of exactly that length: Werkzeug would wrap the stream in a LimitedStream and
read it in pieces through Python (about 5 % of a 15 KB POST's CPU under Granian), and a body
that ends early is refused (400) instead of being stored cut. A body the server cannot read
at all (broken chunked framing, a client that disconnects midway) is the client's fault: 400,
not a 500 with a traceback.
"""

import logging

from flask import Request
from werkzeug.exceptions import HTTPException

from app.errors import ApiError

log = logging.getLogger(__name__)
READ_SIZE = 64 * 1024


def too_large(limit: int) -> ApiError:
    return ApiError(413, "body_too_large", f"the request body is larger than {limit} bytes")


def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or ApiError 413 past `limit` bytes, or 400 when it cannot be read."""
    length = request.content_length
    if length is not None and length > limit:
        raise too_large(limit)
    try:
        if length is not None:
            return _read_known_length(request.environ["wsgi.input"], length)
        return _read_unknown_length(request.environ["wsgi.input"], limit)
    except (HTTPException, ApiError):
        raise
    except Exception as exc:  # the servers' own parse errors (Gunicorn's, Granian's, ...)
        log.info("unreadable request body: %s: %s", type(exc).__name__, exc)
        raise ApiError(
            400, "invalid_body", f"the request body could not be read ({type(exc).__name__})"
        ) from None


def _read_known_length(stream, length: int) -> bytes:
    body = _read_at_most(stream, length)
    if len(body) != length:
        raise ApiError(
            400, "invalid_body",
            f"the request body ended after {len(body)} of the {length} bytes its "
            "Content-Length announced",
        )  # fmt: skip
    return body


def _read_unknown_length(stream, limit: int) -> bytes:
    body = _read_at_most(stream, limit + 1)  # one byte past the limit tells it was passed
    if len(body) > limit:
        raise too_large(limit)
    return body


def _read_at_most(stream, size: int) -> bytes:
    """Up to `size` bytes, fewer when the stream ends first (one read for a 15 KB body)."""
    parts: list[bytes] = []
    received = 0
    while received < size:
        part = stream.read(min(READ_SIZE, size - received))
        if not part:
            break
        parts.append(part)
        received += len(part)
    return b"".join(parts)
