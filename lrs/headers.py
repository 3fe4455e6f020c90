"""``X-Experience-API-Version`` in and out, and the consistency header on statement responses."""

from __future__ import annotations

import re

from flask import Flask, Response, g, request

from lrs.extensions import services
from statements.errors import BadRequest, FieldError
from statements.timefmt import format_us

VERSION_HEADER = "X-Experience-API-Version"
CONSISTENT_HEADER = "X-Experience-API-Consistent-Through"
_V1 = re.compile(r"^1\.0(\.\d+)?$")
_V2 = re.compile(r"^2\.0(\.\d+)?$")
UNVERSIONED = ("/xapi/about",)
SUPPORTED = ("1.0.3", "2.0.0")


def _basic_key() -> str:
    auth = request.authorization
    return str(auth.username) if auth is not None and auth.username else ""


def negotiate(raw: str | None) -> str:
    """Map a request's version header to the version we answer with ("1.0.3" or "2.0.0")."""
    if raw is None:
        raise BadRequest(
            f"{VERSION_HEADER} header is required",
            [FieldError(VERSION_HEADER, "required", "send 1.0.3 or 2.0.0")],
        )
    value = raw.strip()
    if _V1.match(value):
        return "1.0.3"
    if _V2.match(value):
        return "2.0.0"
    raise BadRequest(
        f"unsupported {VERSION_HEADER}: {value}",
        [FieldError(VERSION_HEADER, "version", "supported: 1.0.3, 2.0.0")],
    )


def api_version() -> str:
    """The xAPI version of the current request."""
    return str(g.get("xapi_version", SUPPORTED[-1]))


def register(app: Flask) -> None:
    """Install the version check (before) and the response headers (after)."""

    @app.before_request
    def _check_version() -> None:
        if not request.path.startswith("/xapi/") or request.method == "OPTIONS":
            return
        if request.path.rstrip("/") in UNVERSIONED:
            g.xapi_version = SUPPORTED[-1]
            return
        raw = request.headers.get(VERSION_HEADER)
        if raw is None:
            # Nothing to negotiate: the error is labelled with the version this client last
            # spoke successfully (dual-version LRS; 1.0.3 and 2.0 clients each expect their own).
            g.xapi_version = services().last_versions.get(_basic_key(), SUPPORTED[-1])
        g.xapi_version = negotiate(raw)
        g.xapi_negotiated = True

    @app.after_request
    def _stamp(resp: Response) -> Response:
        principal = g.get("principal")
        if principal is not None and g.get("xapi_negotiated"):
            services().last_versions[principal.credential.key] = api_version()
        if request.path.startswith("/xapi/"):
            resp.headers[VERSION_HEADER] = api_version()
            if request.path.startswith("/xapi/statements"):
                resp.headers[CONSISTENT_HEADER] = format_us(services().clock())
        return resp
