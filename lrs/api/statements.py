"""The Statement resource ``/xapi/statements``: thin views over validate → prepare → store."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, jsonify, request

from lrs.auth import authenticate, require
from lrs.extensions import services
from lrs.headers import api_version
from lrs.learning import learn_from_statements
from lrs.statement_io import (
    check_attachments,
    read_statement_body,
    statement_response,
    statements_json_response,
    statements_response,
)
from statements.errors import BadRequest, FieldError, NotFound
from statements.ingest import prepare_batch, store_batch
from statements.query import load_options, load_query, load_single_id
from statements.store.base import Attachment, StatementRecord
from statements.validate import validate_statements

bp = Blueprint("statements", __name__)

READ_SCOPES = ("statements/read", "statements/read/mine", "all/read", "all")
WRITE_SCOPES = ("statements/write", "all")


def _store_batch(records: list[StatementRecord], attachments: list[Attachment]) -> None:
    """Insert new records; re-posted identical statements are no-ops, different ones 409."""
    store_batch(services().store, records, attachments)


def _prepared(statements: list[dict[str, Any]], statement_id: str | None) -> list[StatementRecord]:
    return prepare_batch(
        statements,
        authority=authenticate().credential.authority,
        api_version=api_version(),
        now_us=services().clock(),
        statement_id=statement_id,
    )


@bp.post("/xapi/statements")
@require(*WRITE_SCOPES)
def post_statements() -> Response:
    """Store one statement or a batch; answer with the ids in order."""
    if request.args:
        if "statementId" in request.args:
            return put_statement()
        raise BadRequest("POST /statements takes no query parameters")
    payload, attachments = read_statement_body()
    limit = services().settings.max_batch
    if isinstance(payload, list) and len(payload) > limit:
        raise BadRequest(
            f"a batch holds at most {limit} statements",
            [FieldError("$", "max_batch", f"{len(payload)} > {limit}")],
        )
    statements = validate_statements(payload, api_version())
    records = _prepared(statements, None)
    _check_attachments(records, attachments)
    _store_batch(records, attachments)
    learn_from_statements([r.body for r in records], may_define=authenticate().has_any("define"))
    return jsonify([r.id for r in records])


@bp.put("/xapi/statements")
@require(*WRITE_SCOPES)
def put_statement() -> Response:
    """Store one statement under ``statementId``; 204."""
    raw_id = request.args.get("statementId")
    if raw_id is None:
        raise BadRequest(
            "statementId is required", [FieldError("statementId", "required", "missing")]
        )
    extra = set(request.args) - {"statementId"}
    if extra:
        raise BadRequest(
            "PUT /statements takes only statementId",
            [FieldError(name, "unknown_parameter", "not allowed") for name in sorted(extra)],
        )
    single = load_single_id({"statementId": raw_id})
    assert single is not None
    payload, attachments = read_statement_body()
    if not isinstance(payload, dict):
        raise BadRequest("PUT takes one statement object", [FieldError("$", "type", "object")])
    body_id = payload.get("id")
    if body_id is not None and str(body_id).lower() != single[0]:
        raise BadRequest(
            "the statement id differs from statementId",
            [FieldError("$.id", "id_mismatch", "must equal the statementId parameter")],
        )
    statements = validate_statements(payload, api_version())
    records = _prepared(statements, single[0])
    _check_attachments(records, attachments)
    _store_batch(records, attachments)
    learn_from_statements([r.body for r in records], may_define=authenticate().has_any("define"))
    return Response(status=204)


def _check_attachments(records: list[StatementRecord], attachments: list[Attachment]) -> None:
    check_attachments([r.body for r in records], attachments)


@bp.get("/xapi/statements")
@require(*READ_SCOPES)
def get_statements() -> Response:
    """One statement (``statementId`` / ``voidedStatementId``), a query page, or a ``more`` page."""
    svc = services()
    principal = authenticate()
    params = {k: v for k, v in request.args.items()}
    if "more" in params:
        if len(params) > 1:
            raise BadRequest("more takes no other parameters")
        query, options, _version = svc.cursor.decode(params["more"])
        return _page(query, options)
    single = load_single_id(params)
    options = load_options(params)
    if single is not None:
        sid, voided = single
        rec = svc.store.get_by_ids([sid]).get(sid)
        if rec is None or rec.voided != voided:
            raise NotFound(f"no {'voided ' if voided else ''}statement {sid}")
        if principal.only_mine and rec.authority_key != _mine():
            raise NotFound(f"no statement {sid}")
        return statement_response(rec, options)
    query = load_query(
        params, api_version(), svc.settings.statement_page_limit, svc.settings.max_json_depth
    )
    if principal.only_mine:
        query = replace(query, authority=_mine())
    return _page(query, options)


def _mine() -> str | None:
    from statements.ifi import agent_key

    return agent_key(authenticate().credential.authority)


def _page(query: Any, options: Any) -> Response:
    svc = services()
    if options.format == "exact" and not options.attachments and hasattr(svc.store, "query_json"):
        # The statements as stored are the answer: splice their JSON, never parse it.
        raw = svc.store.query_json(query)
        more = _more(query, options, raw.next_after, raw.snapshot_seq)
        return statements_json_response(raw.bodies, raw.last_stored_us, more)
    page = svc.store.query(query)
    more = _more(query, options, page.next_after, page.snapshot_seq)
    return statements_response(page.records, options, more)


def _more(query: Any, options: Any, next_after: int | None, snapshot_seq: int | None) -> str:
    """The ``more`` link of a page ("" on the last page)."""
    if next_after is None:
        return ""
    token = services().cursor.encode(
        query.next_page(next_after, snapshot_seq), options, api_version()
    )
    return f"/xapi/statements?more={token}"
