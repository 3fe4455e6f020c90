"""Concurrency for the document resources (Communication 3.1): ETag, If-Match, If-None-Match.

The request's headers become a :class:`statements.documents.Precondition` that the store checks
inside its write transaction. The rules:

* ``If-Match`` (strong comparison, ``*`` = any existing document): 412 when it does not match,
  including when there is no document. ``If-None-Match`` (``*`` or tags, weak comparison):
  412 when the document exists and matches. Both apply to PUT, POST and DELETE.
* A PUT with neither header: on the Activity and Agent Profile resources it never writes —
  409 when the document exists, 400 otherwise (clients MUST send one of the headers; the 1.0.3
  conformance suite expects the 400). On the State resource xAPI 1.0.3 exempts it from
  concurrency control (the PUT overwrites); xAPI 2.0 applies the rules to State as well, so an
  existing State document answers 409 and a new one is created.
* Responses carrying a document get ``ETag`` (quoted lower-case hex SHA-1 of the contents) and
  ``Last-Modified``.
"""

from __future__ import annotations

import hashlib

from flask import Response, request
from werkzeug.datastructures import ETags

from statements.documents import STATE, Document, Precondition
from statements.timefmt import http_date


def _tags(header: str, parsed: ETags, include_weak: bool) -> frozenset[str] | None:
    """None when the header is absent, else its unquoted tags (``*`` for a star)."""
    if header not in request.headers:
        return None
    if parsed.star_tag:
        return frozenset({"*"})
    return frozenset(parsed.as_set(include_weak=include_weak))


def precondition(kind: str, version: str) -> Precondition:
    """The Precondition of the current PUT/POST/DELETE request on a document of ``kind``."""
    if_match = _tags("If-Match", request.if_match, include_weak=False)
    if_none_match = _tags("If-None-Match", request.if_none_match, include_weak=True)
    if request.method != "PUT" or if_match is not None or if_none_match is not None:
        return Precondition(if_match=if_match, if_none_match=if_none_match)
    if kind == STATE:
        return Precondition(conflict_if_exists=version.startswith("2."))
    return Precondition(conflict_if_exists=True, reject_if_absent=True)


def stamp_document(resp: Response, doc: Document) -> Response:
    """Set ``ETag`` and ``Last-Modified`` of ``doc`` on ``resp``."""
    resp.headers["ETag"] = doc.etag
    resp.headers["Last-Modified"] = http_date(doc.updated_us)
    return resp


def stamp_body(resp: Response, last_modified_us: int | None = None) -> Response:
    """Set a quoted SHA-1 ``ETag`` of the response body (and ``Last-Modified`` when known)."""
    digest = hashlib.sha1(resp.get_data(), usedforsecurity=False).hexdigest()
    resp.headers["ETag"] = f'"{digest}"'
    if last_modified_us is not None:
        resp.headers["Last-Modified"] = http_date(last_modified_us)
    return resp
