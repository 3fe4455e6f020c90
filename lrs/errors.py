"""The one error handler: every failure becomes ``{"error", "errors", "status"}`` JSON."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from statements.errors import LRSError, Unauthorized

log = logging.getLogger(__name__)


def error_response(
    status: int, message: str, errors: list[dict[str, str]] | None = None
) -> Response:
    """Build the JSON error response."""
    resp = jsonify({"error": message, "errors": errors or [], "status": status})
    resp.status_code = status
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Basic realm="xAPI"'
    return resp


def register(app: Flask) -> None:
    """Install the handlers on ``app``."""

    @app.errorhandler(LRSError)
    def _domain(exc: LRSError) -> Response:
        resp = error_response(exc.status, exc.message, [e.as_dict() for e in exc.errors])
        if isinstance(exc, Unauthorized):
            resp.headers["WWW-Authenticate"] = 'Basic realm="xAPI"'
        return resp

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        resp = error_response(status, exc.description or exc.name)
        for key, value in exc.get_headers():
            if key.lower() not in ("content-type", "content-length"):
                resp.headers[key] = value
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        return error_response(500, "internal error")
