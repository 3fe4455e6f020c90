"""Request size limits a client can read: body size per resource (413) and query parameters.

A body over its limit is answered 413 with the usual JSON error body. Answering before the body
has arrived makes the server close a connection the client is still writing to, and the client
sees a broken pipe instead of the 413; so the rest of the body, up to ``LRS_MAX_DRAIN_BYTES``, is
read and discarded first. Both gunicorn and the development server send ``100 Continue`` on
``Expect: 100-continue`` before the application runs, so a client that waits for it gets the
interim answer, sends the body, and then reads the same 413. Bodies larger than the drain bound
are refused at once; a reverse proxy in front should refuse them itself (nginx
``client_max_body_size``, set to ``LRS_MAX_BODY_BYTES``).

Limits (all settings): ``LRS_MAX_BODY_BYTES`` for every route, ``LRS_MAX_DOCUMENT_BYTES`` for
the State / Activity Profile / Agent Profile resources, ``LRS_MAX_QUERY_PARAMS`` for the number
of query parameters (400).
"""

from __future__ import annotations

import io
from contextlib import suppress
from typing import Any

from flask import Flask, Response, request

from lrs.extensions import services
from statements.errors import BadRequest, FieldError, PayloadTooLarge

DOCUMENT_PATHS = ("/xapi/activities/state", "/xapi/activities/profile", "/xapi/agents/profile")
_CHUNK = 64 * 1024


def body_limit(path: str) -> tuple[int, str]:
    """The byte limit for a request to ``path`` and the name of its setting."""
    settings = services().settings
    if path.rstrip("/") in DOCUMENT_PATHS:
        return settings.max_document_bytes, "max_document_bytes"
    return settings.max_body_bytes, "max_body_bytes"


def drain(environ: dict[str, Any], length: int | None, bound: int) -> int:
    """Read and discard up to ``bound`` bytes of the body still unread; the count read.

    ``length`` is the declared Content-Length (None for a chunked body, read to its end).
    """
    stream = environ.get("wsgi.input")
    if stream is None:
        return 0
    todo = bound if length is None else min(length, bound)
    done = 0
    while done < todo:
        chunk = stream.read(min(_CHUNK, todo - done))
        if not chunk:
            break
        done += len(chunk)
    return done


def too_large(limit: int, setting: str, size: str) -> PayloadTooLarge:
    """The 413 naming the limit and the setting."""
    env = f"LRS_{setting.upper()}"
    return PayloadTooLarge(
        f"request body is larger than {limit} bytes ({env})",
        [FieldError("$", setting, f"{size}; the limit is {limit} bytes ({env})")],
    )


def _check_query() -> None:
    limit = services().settings.max_query_params
    query = request.environ.get("QUERY_STRING", "")
    count = query.count("&") + 1 if query else 0
    if count > limit:
        raise BadRequest(
            f"more than {limit} query parameters (LRS_MAX_QUERY_PARAMS)",
            [FieldError("$query", "max_query_params", f"{count} parameters; at most {limit}")],
        )


def _check_body() -> None:
    limit, setting = body_limit(request.path)
    request.max_content_length = limit
    environ = request.environ
    bound = services().settings.max_drain_bytes
    length = request.content_length
    if length is not None and length > limit:
        if length <= bound:
            drain(environ, length, bound)
        raise too_large(limit, setting, f"Content-Length is {length}")
    if length is None and environ.get("wsgi.input_terminated") and "wsgi.input" in environ:
        # A chunked body: buffer it up to the limit, so that its size is known before any view.
        data = _read_upto(environ["wsgi.input"], limit + 1)
        if len(data) > limit:
            drain(environ, None, bound)
            raise too_large(limit, setting, "the chunked body ran over the limit")
        environ["wsgi.input"] = io.BytesIO(data)
        environ["CONTENT_LENGTH"] = str(len(data))


def _read_upto(stream: Any, size: int) -> bytes:
    parts: list[bytes] = []
    got = 0
    while got < size:
        chunk = stream.read(min(_CHUNK, size - got))
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def register(app: Flask) -> None:
    """Check query parameter count and declared body size before any view runs."""

    @app.before_request
    def _limits() -> None:
        _check_query()
        _check_body()

    @app.after_request
    def _finish_body(resp: Response) -> Response:
        # A view that answered without reading the body (401, 400 ...) leaves it in the socket;
        # read it (it is within the limit) so the client can read the answer, not a reset.
        length = request.content_length
        limit = request.max_content_length
        if length is not None and (limit is None or length <= limit):
            with suppress(Exception):
                while request.stream.read(_CHUNK):
                    pass
        return resp


def drain_after_overflow() -> None:
    """After werkzeug cut a chunked body off at the limit, discard the rest (up to the bound)."""
    if request.content_length is None and request.environ.get("wsgi.input_terminated"):
        drain(request.environ, None, services().settings.max_drain_bytes)
