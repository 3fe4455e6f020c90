"""Reading statement request bodies and writing statement responses (JSON or multipart)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Response, request

from lrs.extensions import services
from lrs.limits import check_attachment_sizes
from lrs.multipart import build_multipart, check_parts, parse_multipart
from statements import jsonenc, safejson
from statements.errors import BadRequest, FieldError
from statements.formats import parse_accept_language, render
from statements.query import QueryOptions
from statements.store.base import Attachment, StatementRecord
from statements.timefmt import http_date

JSON_TYPE = "application/json"


def parse_json(raw: bytes) -> Any:
    """Parse a JSON body with :func:`statements.safejson.loads` (depth, text, numbers, keys)."""
    return safejson.loads(raw, services().settings.max_json_depth)


def json_body() -> Any:
    """This request's body as JSON (any Content-Type), or 400 naming what is wrong."""
    return parse_json(request.get_data(cache=True))


def read_statement_body() -> tuple[Any, list[Attachment]]:
    """The statement payload of this request and any attachment parts it carries."""
    mimetype = request.mimetype.lower()
    raw = request.get_data(cache=True)
    if mimetype == "multipart/mixed":
        settings = services().settings
        payload, parts = parse_multipart(
            raw,
            request.headers.get("Content-Type", ""),
            max_parts=settings.max_multipart_parts,
            max_depth=settings.max_json_depth,
        )
        check_attachment_sizes(parts, settings.max_attachment_bytes)
        return payload, parts
    if mimetype not in (JSON_TYPE, ""):
        raise BadRequest(
            f"unsupported Content-Type {mimetype}",
            [FieldError("Content-Type", "content_type", "use application/json or multipart/mixed")],
        )
    return parse_json(raw), []


def check_attachments(statements: Sequence[dict[str, Any]], parts: Sequence[Attachment]) -> None:
    """Each attachment without ``fileUrl`` has a part, each part an attachment; signatures hold."""
    check_parts(statements, parts)


def _rendered(records: Sequence[StatementRecord], options: QueryOptions) -> list[dict[str, Any]]:
    languages = parse_accept_language(request.headers.get("Accept-Language"))
    return [render(r.body, options.format, languages) for r in records]


def _respond(document: Any, records: Sequence[StatementRecord], options: QueryOptions) -> Response:
    body = jsonenc.dumps(document)
    if options.attachments:
        hashes = [h for r in records for h in _hashes(r)]
        found = services().store.get_attachments(hashes) if hashes else {}
        parts = [found[h] for h in dict.fromkeys(hashes) if h in found]
        payload, ctype = build_multipart(body, parts)
        return Response(payload, content_type=ctype)
    return Response(body, content_type=JSON_TYPE)


def _hashes(record: StatementRecord) -> list[str]:
    attachments = record.body.get("attachments") or []
    return [str(a["sha2"]).lower() for a in attachments if isinstance(a, dict) and a.get("sha2")]


def statement_response(record: StatementRecord, options: QueryOptions) -> Response:
    """One statement, with ``Last-Modified``."""
    resp = _respond(_rendered([record], options)[0], [record], options)
    resp.headers["Last-Modified"] = http_date(record.stored_us)
    return resp


def statements_response(
    records: Sequence[StatementRecord], options: QueryOptions, more: str
) -> Response:
    """A StatementResult page."""
    result = {"statements": _rendered(records, options), "more": more}
    resp = _respond(result, records, options)
    if records:
        resp.headers["Last-Modified"] = http_date(max(r.stored_us for r in records))
    return resp


def statements_json_response(
    bodies: Sequence[bytes], last_stored_us: int | None, more: str
) -> Response:
    """A StatementResult page of ``format=exact`` from the statements' stored JSON, spliced
    as they are (the same document :func:`statements_response` writes, unparsed)."""
    payload = b"".join(
        (b'{"statements":[', b",".join(bodies), b'],"more":', jsonenc.dumps(more), b"}")
    )
    resp = Response(payload, content_type=JSON_TYPE)
    if last_stored_us is not None:
        resp.headers["Last-Modified"] = http_date(last_stored_us)
    return resp
