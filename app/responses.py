"""Responses whose body is already bytes, handed to the server as the one-item list they hold.

Werkzeug gives a server each response as an iterator (a ClosingIterator over its encoded
chunks) unless the response is in direct passthrough mode. Granian sends a list with one call
into its Rust side but pulls any other iterable through Python chunk by chunk (its
ResponseIterWrap); Gunicorn writes both alike. HEAD requests and bodiless statuses still get
an empty body: Werkzeug checks for those before it looks at the passthrough.
"""

from flask import Response

JSON = "application/json"


def bytes_response(body: bytes, status: int = 200, content_type: str = JSON) -> Response:
    return Response(body, status=status, content_type=content_type, direct_passthrough=True)
