"""The JSON-document API over Redis: the rig's reference system under test."""

import os

# Before anything imports prometheus-client, which decides its mode once, at import: an empty
# PROMETHEUS_MULTIPROC_DIR means "none" to the server launchers (they make a directory), but
# prometheus-client would take it as multiprocess mode and write its files into the cwd.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR") == "":
    del os.environ["PROMETHEUS_MULTIPROC_DIR"]

from flask import Flask

from app import errors
from app.config import Settings
from app.lean_flask import RigFlask
from app.store import Stores
from app.views import documents, health


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
