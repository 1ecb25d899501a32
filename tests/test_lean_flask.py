"""RigFlask (app/lean_flask.py) against plain Flask: the same answers, hooks and signals.

The differential test builds the same small app on both classes and calls them as a WSGI
server would, with Hypothesis choosing the Host header, path, method and upgrade headers;
status, Location and body (which names the host and an external URL) must be equal. The last
test sends a bad Host to the real API under both servers: a JSON 400.
"""

import io

import orjson
import pytest
from flask import Flask, after_this_request, request, url_for
from flask.signals import appcontext_tearing_down, request_tearing_down
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.lean_flask import RigFlask
from tests.test_api_hostile_bodies import raw_request


def build(flask_class, **config):
    app = flask_class(__name__)
    app.config.update(config)

    @app.get("/api/v1/json/<doc_id>")
    def document(doc_id):
        return {"id": doc_id, "host": request.host, "url": url_for("document", doc_id=doc_id,
                                                                  _external=True)}  # fmt: skip

    @app.route("/dir/", methods=["GET", "POST"])
    def directory():  # a rule with a trailing slash: /dir redirects here
        return {"url": request.url}

    return app


def call(app, environ: dict) -> tuple[str, dict, bytes]:
    answered = {}

    def start_response(status, headers, exc_info=None):
        answered["status"], answered["headers"] = status, dict(headers)

    body = app(environ, start_response)
    try:
        data = b"".join(body)
    finally:
        if hasattr(body, "close"):
            body.close()
    return answered["status"], answered["headers"], data


def environ_for(
    method: str, path: str, host: str | None, query: str, upgrade: bool, script: str = ""
) -> dict:
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": script,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
    }
    if host is not None:
        environ["HTTP_HOST"] = host
    if upgrade:
        environ["HTTP_CONNECTION"] = "keep-alive, Upgrade"
        environ["HTTP_UPGRADE"] = "websocket"
    return environ


SOME_HOSTS = ["127.0.0.1:8000", "api.lab", "API.Lab:80", "a..b", "x" * 64 + ".lab", "[::1]:8000",
              "bücher.example", "xn--bcher-kva.example", "h:0", "h:99999", ""]  # fmt: skip
HOSTS = st.one_of(
    st.none(), st.sampled_from(SOME_HOSTS), st.text(st.characters(codec="latin-1"), max_size=30)
)
SOME_PATHS = ["/api/v1/json/bench", "//api//v1/json/a", "/dir", "/dir/", "/nowhere",
              "/api/v1/json/b%C3%BCcher", "/api/v1/json/", ""]  # fmt: skip
PATHS = st.one_of(
    st.sampled_from(SOME_PATHS),
    st.text(st.characters(codec="latin-1"), max_size=20).map(lambda s: "/" + s),
)
APPS = {
    "default": ({},),
    "trusted hosts": ({"TRUSTED_HOSTS": ["api.lab", ".example"]},),
    "server name": ({"SERVER_NAME": "api.lab"},),
}


@pytest.mark.parametrize("config", [c for (c,) in APPS.values()], ids=list(APPS))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(["GET", "POST", "HEAD", "OPTIONS", "DELETE"]),
    path=PATHS,
    host=HOSTS,
    query=st.sampled_from(["", "a=1", "path=%24.x"]),
    upgrade=st.booleans(),
    script=st.sampled_from(["", "/base", "/base/", "/b%C3%BC"]),
)
def test_answers_equal_plain_flask(config, method, path, host, query, upgrade, script):
    environ = environ_for(method, path, host, query, upgrade, script)
    lean = call(build(RigFlask, **config), dict(environ, **{"wsgi.input": io.BytesIO()}))
    plain = call(build(Flask, **config), dict(environ, **{"wsgi.input": io.BytesIO()}))
    assert lean[0] == plain[0]
    assert lean[1].get("Location") == plain[1].get("Location")
    assert lean[2] == plain[2]


@pytest.mark.parametrize("host", ["a..b", "x" * 64 + ".lab"])
def test_a_bad_host_is_a_400_as_under_plain_flask(host):
    environ = environ_for("GET", "/api/v1/json/bench", host, "", False)
    lean = call(build(RigFlask), dict(environ))
    plain = call(build(Flask), dict(environ, **{"wsgi.input": io.BytesIO()}))
    assert lean[0].startswith("400"), lean
    assert (lean[0], lean[2]) == (plain[0], plain[2])


def test_hooks_and_signals_still_run_once_registered():
    app = build(RigFlask)
    seen = []

    @app.before_request
    def before():
        seen.append("before")
        after_this_request(lambda response: seen.append("this request") or response)

    @app.after_request
    def after(response):
        seen.append("after")
        response.headers["X-After"] = "1"
        return response

    app.teardown_request(lambda exc: seen.append("teardown request"))
    app.teardown_appcontext(lambda exc: seen.append("teardown app"))

    def on_request_teardown(sender, **extra):
        seen.append("request signal")

    def on_app_teardown(sender, **extra):
        seen.append("app signal")

    request_tearing_down.connect(on_request_teardown, app)
    appcontext_tearing_down.connect(on_app_teardown, app)
    try:
        status, headers, _ = call(app, environ_for("GET", "/dir/", "h", "", False))
    finally:
        request_tearing_down.disconnect(on_request_teardown, app)
        appcontext_tearing_down.disconnect(on_app_teardown, app)
    assert status.startswith("200")
    assert headers["X-After"] == "1"
    assert seen == ["before", "this request", "after", "teardown request", "request signal",
                    "teardown app", "app signal"]  # fmt: skip


def test_a_before_request_answer_ends_the_request():
    app = build(RigFlask)
    app.before_request(lambda: ({"stopped": True}, 403))
    status, _, body = call(app, environ_for("GET", "/api/v1/json/x", "h", "", False))
    assert status.startswith("403")
    assert orjson.loads(body) == {"stopped": True}


def test_the_session_is_saved_when_used():
    app = build(RigFlask, SECRET_KEY="test")

    @app.get("/login")
    def login():
        from flask import session

        session["user"] = "u"
        return {}

    status, headers, _ = call(app, environ_for("GET", "/login", "h", "", False))
    assert status.startswith("200")
    assert "session=" in headers.get("Set-Cookie", "")


@pytest.mark.parametrize("host", ["a..b", "x" * 64 + ".lab"])
def test_the_api_answers_a_bad_host_with_a_json_400(api, host):
    raw = f"GET /api/v1/json/bench HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    status, headers, body = raw_request(api.port, raw)
    assert status == 400, body
    assert headers["content-type"] == "application/json"
    assert orjson.loads(body)["error"]["code"] == "bad_request"
