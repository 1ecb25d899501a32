"""The JSON-document API over Redis: the rig's reference system under test."""

import os
import time

# Before anything imports prometheus-client, which decides its mode once, at import: an empty
# PROMETHEUS_MULTIPROC_DIR means "none" to the server launchers (they make a directory), but
# prometheus-client would take it as multiprocess mode and write its files into the cwd.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR") == "":
    del os.environ["PROMETHEUS_MULTIPROC_DIR"]

from flask import Flask, request

from app import errors, metrics
from app.config import Settings
from app.store import Stores
from app.views import documents, health


class RigFlask(Flask):
    """Flask that times and counts every request around its dispatch.

    One override instead of a before_request and an after_request hook, which Flask looks up
    per blueprint and checks for coroutines on every request: 1-5 % of a request's CPU in
    process (bench/api_throughput.py --against measures such changes end to end). Errors the
    error handlers turn into responses are counted too; routing failures as "unmatched".
    """

    def full_dispatch_request(self):
        started = time.perf_counter()
        response = super().full_dispatch_request()
        rule = request.url_rule
        endpoint = rule.rule if rule is not None else "unmatched"
        metrics.observe(
            request.method, endpoint, response.status_code, time.perf_counter() - started
        )
        return response


def create_app(config: dict | None = None) -> Flask:
    """Application factory; `config` overrides Settings fields (e.g. {"key_prefix": "t:"})."""
    settings = Settings.from_env()
    if config:
        settings = Settings(**{**settings.__dict__, **config})
    app = RigFlask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config["RIG_SETTINGS"] = settings
    # Flask would answer OPTIONS itself with an empty text/html 200; a JSON 405 instead.
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    app.extensions["rig_stores"] = Stores(
        settings.redis_url,
        settings.key_prefix,
        settings.redis_timeout_seconds,
        settings.redis_max_connections,
        cluster=settings.redis_cluster,
    )
    app.register_blueprint(errors.blueprint)
    app.register_blueprint(documents.blueprint)
    app.register_blueprint(health.blueprint)
    return app
