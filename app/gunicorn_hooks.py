"""Gunicorn hooks of the API: JSON error pages and a read timeout for slow or idle clients.

Loaded by app/gunicorn.conf.py from its file path, not imported as part of the app package:
the master must not import Flask or redis before gevent's workers patch the standard library.
So this module imports nothing of the app and nothing that opens sockets.

- Gunicorn answers requests it cannot parse (request line over the limit, bad HTTP version,
  huge headers, unsupported Transfer-Encoding, broken chunked framing before the app runs)
  with an HTML page written by gunicorn.util.write_error. It has no setting for that, so that
  one function is replaced by one that writes the API's JSON error body with the same status.
- A connection gets a socket timeout (RIG_READ_TIMEOUT seconds) while a request is read, so a
  client that opens a connection and sends nothing, or trickles its headers or body, is
  dropped instead of holding a worker's slot. Between keep-alive requests the timeout is
  lifted again: there Gunicorn's keepalive setting decides how long an idle connection stays.
"""

import json
import logging

from gunicorn import util
from gunicorn.workers import base_async, gthread, sync

DEFAULT_READ_TIMEOUT = 10
# Gunicorn's reasons for its own error statuses, as the API's stable error codes.
ERROR_CODES = {
    400: "bad_request",
    403: "forbidden",
    413: "body_too_large",
    414: "request_line_too_long",
    417: "expectation_failed",
    431: "headers_too_large",
    500: "internal_error",
    501: "not_implemented",
}


def json_error_page(status_int: int, reason: str, message: str) -> bytes:
    """A complete HTTP/1.1 response with the API's error body, closing the connection."""
    body = json.dumps(
        {"error": {"code": ERROR_CODES.get(status_int, "http_error"), "message": message or reason}}
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


def _write_json_error(sock, status_int, reason, mesg) -> None:
    util.write_nonblock(sock, json_error_page(int(status_int), str(reason), str(mesg)))


def install_json_errors() -> None:
    """Replace Gunicorn's HTML error writer (called as util.write_error by every worker)."""
    if callable(getattr(util, "write_error", None)):
        util.write_error = _write_json_error


class _QuietTimeouts(logging.Filter):
    """A client dropped by the read timeout is expected; Gunicorn would log a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, TimeoutError)


def install_read_timeout(worker, seconds: float) -> None:
    """Time out socket reads of `worker`'s connections (gevent, gthread and sync workers).

    A silent new connection does not hold a gthread thread anyway (Gunicorn waits a few
    seconds for its first bytes, then hands it to its poller); one that trickles does.
    """
    worker.log.error_log.addFilter(_QuietTimeouts())
    if isinstance(worker, gthread.ThreadWorker):
        thread_handle = worker.handle

        # ThreadWorker.handle puts the socket in blocking mode, then calls conn.init() before
        # it reads the request: the timeout is set right after, on every request.
        def handle(conn):
            if not getattr(conn, "rig_read_timeout", False):
                conn_init = conn.init

                def init_with_timeout():
                    conn_init()
                    conn.sock.settimeout(seconds)

                conn.init = init_with_timeout
                conn.rig_read_timeout = True
            return thread_handle(conn)

        worker.handle = handle
    elif isinstance(worker, base_async.AsyncWorker):
        parent_handle = base_async.AsyncWorker.handle

        # GeventWorker.handle only puts the socket in blocking mode before the parent's
        # handle; a timeout is blocking mode too, with a bound on each read.
        def handle(listener, client, addr):
            client.settimeout(seconds)
            return parent_handle(worker, listener, client, addr)

        worker.handle = handle
    elif isinstance(worker, sync.SyncWorker):
        sync_handle = worker.handle

        def handle(listener, client, addr):
            client.settimeout(seconds)
            return sync_handle(listener, client, addr)

        worker.handle = handle


def reading_starts(req, seconds: float) -> None:
    """pre_request: the body is read next; bound each read again."""
    sock = getattr(getattr(req, "unreader", None), "sock", None)
    if sock is not None:
        sock.settimeout(seconds)


def reading_ends(req) -> None:
    """post_request: the answer is out; the wait for a next request is keepalive's business."""
    sock = getattr(getattr(req, "unreader", None), "sock", None)
    if sock is not None:
        sock.settimeout(None)
