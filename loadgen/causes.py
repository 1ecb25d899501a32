"""Why a request failed, in words a performance engineer can act on.

Locust's FastHttpUser reports a request that got no answer as status 0 with the socket error
kept on the response; the rig's checks used to print that as "HTTP 0, expected 201:". Every
message here starts with a fixed cause ("connect timeout", "connection refused", "HTTP 503
redis_unavailable", ...) and holds nothing that varies per request, so Locust's failure
table, which counts identical messages, stays one row per cause and endpoint.
"""

import errno
import socket

import orjson

# The first matching code name in the traceback tells where a timeout struck: while
# geventhttpclient opened the connection, or later, while it waited for the answer.
_CONNECT_FRAMES = frozenset({"_create_socket", "_connect_socket", "create_connection", "connect"})

# errno of an OSError -> cause; the load generator's own limits are named as such.
_ERRNO_CAUSES = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset",
    errno.EPIPE: "connection reset",
    errno.ECONNABORTED: "connection reset",
    errno.ETIMEDOUT: "connect timeout",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "host unreachable",
    errno.EMFILE: "load generator out of file descriptors",
    errno.ENFILE: "load generator out of file descriptors",
    errno.EADDRNOTAVAIL: "load generator out of local ports",
}


def _in_connect(error: BaseException) -> bool:
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_name in _CONNECT_FRAMES:
            return True
        tb = tb.tb_next
    return False


def transport_cause(error: BaseException | None) -> str:
    """The cause of a request that got no HTTP answer (status 0), from the client's exception."""
    # geventhttpclient wraps the last error of a request it gave up on (RetriesExceeded).
    while getattr(error, "original", None) is not None:
        error = error.original
    if error is None:
        return "no response"
    name = type(error).__name__
    if isinstance(error, (TimeoutError, socket.timeout)) or name == "Timeout":
        return "connect timeout" if _in_connect(error) else "read timeout"
    if isinstance(error, OSError) and error.errno in _ERRNO_CAUSES:
        return _ERRNO_CAUSES[error.errno]
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, (ConnectionResetError, BrokenPipeError)):
        return "connection reset"
    if name == "HTTPConnectionClosed":
        # Raised for both an orderly close and a reset before the first byte; the socket
        # error it replaced tells them apart.
        context = error.__context__
        if isinstance(context, OSError) and context.errno == errno.ECONNRESET:
            return "connection reset"
        return "connection closed before a response"
    if name == "HTTPParseError":
        return "malformed HTTP response"
    if isinstance(error, OSError) and error.errno:
        return f"socket error {errno.errorcode.get(error.errno, error.errno)}"
    return f"no response ({name})"


def error_code(body: bytes | None) -> str | None:
    """The API's error code from a body like {"error": {"code": ..., "message": ...}}."""
    if not body or body[:1] != b"{":
        return None
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    error = data.get("error") if isinstance(data, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    if not isinstance(code, str):
        return None
    # Only a short token keeps the failure table one row per cause.
    return code[:64] if code.replace("_", "").replace("-", "").isalnum() else None


def problem(response, expected: int) -> str | None:
    """Why a response is wrong, starting with its cause; None when its status is `expected`."""
    status = response.status_code
    if status == expected:
        return None
    if not status:
        cause = transport_cause(getattr(response, "error", None))
        return f"{cause} (no HTTP response; expected {expected})"
    code = error_code(response.content)
    if status == 404 and code == "document_not_found":
        return "HTTP 404 document_not_found: were the documents seeded (--seed-count, rig seed)?"
    named = f"HTTP {status} {code}" if code else f"HTTP {status}"
    return f"{named} (expected {expected})"
