"""The one error handler: every failure becomes ``{"error", "errors", "status"}`` JSON."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from lrs.bodylimit import body_limit, drain_after_overflow, too_large
from statements.errors import LRSError, Unauthorized

log = logging.getLogger(__name__)
BAD_INPUT = (400, 413)


def _log_bad_input(exc: LRSError) -> None:
    """One WARNING line per refused request (no traceback): a flood of bad input stays readable.

    The ``lrs_rejections`` metric counts the same requests by status and rule.
    """
    first = exc.errors[0] if exc.errors else None
    rule = f"{first.rule} at {first.path}" if first else "-"
    log.warning(
        "refused %s %s: %d %s (%s)",
        request.method,
        request.path[:200],
        exc.status,
        exc.message[:200],
        rule[:200],
    )


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
        if exc.status in BAD_INPUT:
            _log_bad_input(exc)
        resp = error_response(exc.status, exc.message, [e.as_dict() for e in exc.errors])
        if isinstance(exc, Unauthorized):
            resp.headers["WWW-Authenticate"] = 'Basic realm="xAPI"'
        return resp

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge) -> Response:
        # A chunked body ran over the limit while being read: discard the rest, name the limit.
        drain_after_overflow()
        limit, setting = body_limit(request.path)
        return _domain(too_large(limit, setting, "the body ran over the limit"))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        if status in BAD_INPUT:
            log.warning(
                "refused %s %s: %d %s", request.method, request.path[:200], status, exc.name
            )
        resp = error_response(status, exc.description or exc.name)
        for key, value in exc.get_headers():
            if key.lower() not in ("content-type", "content-length"):
                resp.headers[key] = value
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        return error_response(500, "internal error")
