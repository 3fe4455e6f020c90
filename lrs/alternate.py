"""xAPI 1.0.3 alternate request syntax: ``POST ?method=X`` with a form carrying headers + body.

Implemented as WSGI middleware that rewrites the request into its ordinary form before Flask
sees it, so every view, hook and scope check applies unchanged. xAPI 2.0 removed the syntax:
such requests get 400.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

HEADER_FIELDS = {
    "authorization": "HTTP_AUTHORIZATION",
    "x-experience-api-version": "HTTP_X_EXPERIENCE_API_VERSION",
    "content-type": "CONTENT_TYPE",
    "content-length": "CONTENT_LENGTH",
    "if-match": "HTTP_IF_MATCH",
    "if-none-match": "HTTP_IF_NONE_MATCH",
    "accept-language": "HTTP_ACCEPT_LANGUAGE",
}
METHODS = {"GET", "HEAD", "PUT", "POST", "DELETE"}


def _bad(start_response: StartResponse, message: str) -> list[bytes]:
    body = json.dumps({"error": message, "errors": [], "status": 400}).encode()
    start_response(
        "400 BAD REQUEST",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


class AlternateSyntaxMiddleware:
    """Wraps a WSGI app; see the module docstring."""

    def __init__(self, app: WSGIApp, max_body: int = 20 * 1024 * 1024) -> None:
        self.app = app
        self.max_body = max_body

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Rewrite an alternate-syntax request, pass everything else through."""
        query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        names = [k for k, _ in query]
        if environ.get("REQUEST_METHOD") != "POST" or "method" not in names:
            return self.app(environ, start_response)
        if not environ.get("PATH_INFO", "").startswith("/xapi/"):
            return self.app(environ, start_response)
        if names != ["method"]:
            return _bad(start_response, "alternate syntax allows only the method query parameter")
        method = dict(query)["method"].upper()
        if method not in METHODS:
            return _bad(start_response, f"unsupported method {method}")
        ctype = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            return _bad(start_response, "alternate syntax needs application/x-www-form-urlencoded")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > self.max_body:
            return _bad(start_response, "body too large")
        raw = environ["wsgi.input"].read(length).decode("utf-8", "replace")
        form = parse_qsl(raw, keep_blank_values=True)
        new = dict(environ)
        new.pop("CONTENT_TYPE", None)  # the form's own type; form fields override headers
        params: list[tuple[str, str]] = []
        content = b""
        for key, value in form:
            target = HEADER_FIELDS.get(key.lower())
            if key == "content":
                content = value.encode("utf-8")
            elif target is not None:
                new[target] = value
            else:
                params.append((key, value))
        version = new.get("HTTP_X_EXPERIENCE_API_VERSION", "")
        if version.startswith("2."):
            return _bad(start_response, "xAPI 2.0 has no alternate request syntax")
        new["REQUEST_METHOD"] = method
        new["QUERY_STRING"] = urlencode(params)
        new["wsgi.input"] = io.BytesIO(content)
        new["CONTENT_LENGTH"] = str(len(content))
        if content and "CONTENT_TYPE" not in new:
            new["CONTENT_TYPE"] = "application/json"
        new["lrs.alternate_syntax"] = True
        return self.app(new, start_response)
