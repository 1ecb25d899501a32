"""RigFlask: Flask with the same request cycle, minus the steps that have nothing to do.

Flask runs every step of its request cycle for every request, whether or not anything is
registered for it: it looks up before- and after-request hooks for the app and for each of the
request's blueprints, checks the session, runs teardown hooks and sends their signals, and
binds the URL map to the request through Werkzeug's general `bind_to_environ`, which reads the
Host header twice and IDNA-encodes it (Python's pure-Python codec) on every request. These
steps are about a third of a minimal Flask request's CPU (bench/api_throughput.py --against
measures the whole API before and after; tests/test_lean_flask.py checks that hooks and
signals still run once registered, and that answers equal plain Flask's for any Host, path and
method).

Each override keeps Flask's own behaviour and falls back to Flask's method whenever something
it would skip is in use. Written against Flask 3.1 (pinned in pyproject.toml): the session is
read from the request context's `_session`, as Flask's own process_response does.
"""

import functools
import time

from flask import Flask, request
from flask.globals import request_ctx
from flask.signals import appcontext_tearing_down, request_tearing_down
from werkzeug.exceptions import BadHost
from werkzeug.routing import MapAdapter
from werkzeug.wsgi import get_host

from app import metrics


@functools.lru_cache(maxsize=256)
def _server_name(host: str) -> str | None:
    """`host` as Werkzeug's Map.bind writes it (lowercase, IDNA-encoded name, port kept), or
    None where Map.bind raises BadHost. Cached: a server sees few distinct Host headers, and a
    client that sends many only evicts entries."""
    name, sep, port = host.lower().partition(":")
    try:
        return name.encode("idna").decode("ascii") + sep + port
    except UnicodeError:
        return None


class RigFlask(Flask):
    """Flask that times and counts every request, without the cycle's idle steps."""

    def full_dispatch_request(self):
        # One override instead of a before_request and an after_request hook. Errors the error
        # handlers turn into responses are counted too; routing failures as "unmatched".
        started = time.perf_counter()
        response = super().full_dispatch_request()
        rule = request.url_rule
        endpoint = rule.rule if rule is not None else "unmatched"
        metrics.observe(
            request.method, endpoint, response.status_code, time.perf_counter() - started
        )
        return response

    def create_url_adapter(self, request):
        """Flask's adapter for a request without host or subdomain matching and without a
        SERVER_NAME (the API uses none of them): the Host header read once, its encoding
        cached. Anything else goes to Flask."""
        if (
            request is None
            or self.url_map.host_matching
            or self.subdomain_matching
            or self.config["SERVER_NAME"] is not None
        ):
            return super().create_url_adapter(request)
        if (trusted_hosts := self.config["TRUSTED_HOSTS"]) is not None:
            request.trusted_hosts = trusted_hosts
        environ = request.environ
        request.host = host = get_host(environ, request.trusted_hosts)
        server_name = _server_name(host)
        if server_name is None:
            raise BadHost()
        scheme = environ["wsgi.url_scheme"]
        # As bind_to_environ: a WebSocket upgrade matches only WebSocket rules.
        if environ.get("HTTP_UPGRADE", "").lower() == "websocket" and any(
            value.strip(" \t") == "upgrade"
            for value in environ.get("HTTP_CONNECTION", "").lower().split(",")
        ):
            scheme = "wss" if scheme == "https" else "ws"
        return MapAdapter(
            self.url_map,
            server_name,
            request.root_path + "/",
            self.url_map.default_subdomain or "",
            scheme,
            request.path,
            request.method,
            environ.get("QUERY_STRING", ""),
        )

    def preprocess_request(self):
        if self.url_value_preprocessors or self.before_request_funcs:
            return super().preprocess_request()
        return None

    def process_response(self, response):
        ctx = request_ctx._get_current_object()
        if (
            ctx._after_request_functions
            or self.after_request_funcs
            or not self.session_interface.is_null_session(ctx._session)
        ):
            return super().process_response(response)
        return response

    def do_teardown_request(self, *args):
        if self.teardown_request_funcs or request_tearing_down.receivers:
            super().do_teardown_request(*args)

    def do_teardown_appcontext(self, *args):
        if self.teardown_appcontext_funcs or appcontext_tearing_down.receivers:
            super().do_teardown_appcontext(*args)
