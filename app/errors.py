"""Turns every failure into a JSON error body {"error": {"code", "message"}}; views stay short."""

import logging

import orjson
import redis
from flask import Blueprint, Response
from werkzeug.exceptions import HTTPException

from app import metrics
from app.responses import bytes_response

log = logging.getLogger(__name__)
blueprint = Blueprint("errors", __name__)

# Werkzeug's exception names for the statuses a client can cause, as stable codes.
HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
}


class ApiError(Exception):
    """An error the client should see, with its HTTP status and a stable code."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(status: int, code: str, message: str) -> Response:
    body = orjson.dumps({"error": {"code": code, "message": message}})
    return bytes_response(body, status)


@blueprint.app_errorhandler(ApiError)
def handle_api_error(error: ApiError) -> Response:
    return error_response(error.status, error.code, error.message)


@blueprint.app_errorhandler(HTTPException)
def handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    response = error_response(status, HTTP_CODES.get(status, "http_error"), error.description)
    if status == 405 and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


@blueprint.app_errorhandler(redis.ConnectionError)
@blueprint.app_errorhandler(redis.TimeoutError)
@blueprint.app_errorhandler(redis.BusyLoadingError)
def handle_redis_unavailable(error: redis.RedisError) -> Response:
    metrics.redis_error(type(error).__name__)
    return error_response(503, "redis_unavailable", f"Redis is unavailable: {error}")


@blueprint.app_errorhandler(redis.RedisError)
def handle_redis_error(error: redis.RedisError) -> Response:
    metrics.redis_error(type(error).__name__)
    log.error("Redis answered with an error: %s", error)
    return error_response(502, "redis_error", f"Redis answered with an error: {error}")


@blueprint.app_errorhandler(Exception)
def handle_unexpected(error: Exception) -> Response:
    log.exception("unhandled error")
    return error_response(500, "internal_error", "internal error; see the API's log")
