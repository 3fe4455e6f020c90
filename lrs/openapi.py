"""The OpenAPI 3.1 document of every endpoint, served at ``/openapi.json``.

Written by hand here (not derived from the routes) so that ``tests/reliability/test_openapi.py``
can compare it with ``app.url_map`` both ways: a route without a documented operation, or a
documented operation without a route, fails the test. Schemathesis fuzzes the live server from it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

bp = Blueprint("openapi", __name__)

JSON = "application/json"
_ERRORS = {
    "400": "Malformed request: the errors name each field and broken rule.",
    "401": "Missing or unknown credentials.",
    "403": "The credential's scopes do not allow this.",
    "413": "The body (or an attachment) is over the configured size.",
    "429": "Rate limit exceeded; see Retry-After.",
    "503": "The store is unavailable (down, full or read-only); retry later.",
}
_VERSION = {
    "name": "X-Experience-API-Version",
    "in": "header",
    "required": True,
    "schema": {"type": "string", "enum": ["1.0.3", "2.0.0"]},
}
_IRI = {"type": "string", "format": "iri"}
_UUID = {"type": "string", "format": "uuid"}
_TIME = {"type": "string", "format": "date-time"}
_AGENT_JSON = {"type": "string", "description": "An Agent object, JSON-encoded."}


def _q(name: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema}


def _error_ref() -> dict[str, Any]:
    return {"content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _op(
    summary: str,
    ok: dict[str, Any],
    *,
    params: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
    extra: tuple[str, ...] = (),
    public: bool = False,
    xapi: bool = True,
) -> dict[str, Any]:
    """One operation: its parameters, body, success responses and the error responses."""
    responses = dict(ok)
    codes = ("400", "503") if public else ("400", "401", "403", "413", "429", "503")
    for code in (*codes, *extra):
        responses[code] = {
            "description": _ERRORS.get(code, "See the error message."),
            **_error_ref(),
        }
    op: dict[str, Any] = {
        "summary": summary,
        "parameters": ([_VERSION] if xapi and not public else []) + (params or []),
        "responses": responses,
    }
    if body is not None:
        op["requestBody"] = body
    if public:
        op["security"] = []
    return op


def _json_ok(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"200": {"description": description, "content": {JSON: {"schema": schema or {}}}}}


_NO_CONTENT = {"204": {"description": "Done."}}


def _statement_paths() -> dict[str, Any]:
    stmt = {"$ref": "#/components/schemas/Statement"}
    body = {
        "required": True,
        "content": {
            JSON: {"schema": {"oneOf": [stmt, {"type": "array", "items": stmt}]}},
            "multipart/mixed": {"schema": {"type": "string", "format": "binary"}},
        },
    }
    query = [
        _q("statementId", _UUID),
        _q("voidedStatementId", _UUID),
        _q("agent", _AGENT_JSON),
        _q("verb", _IRI),
        _q("activity", _IRI),
        _q("registration", _UUID),
        _q("related_activities", {"type": "boolean"}),
        _q("related_agents", {"type": "boolean"}),
        _q("since", _TIME),
        _q("until", _TIME),
        _q("limit", {"type": "integer", "minimum": 0}),
        _q("format", {"type": "string", "enum": ["ids", "exact", "canonical"]}),
        _q("attachments", {"type": "boolean"}),
        _q("ascending", {"type": "boolean"}),
        _q("more", {"type": "string"}),
    ]
    return {
        "get": _op(
            "One statement, or a StatementResult page (follow `more`).",
            _json_ok("A statement or a StatementResult."),
            params=query,
            extra=("404",),
        ),
        "put": _op(
            "Store one statement under statementId.",
            _NO_CONTENT,
            params=[_q("statementId", _UUID, required=True)],
            body=body,
            extra=("409",),
        ),
        "post": _op(
            "Store one statement or a batch (all or nothing); answers the ids in order.",
            _json_ok("The statement ids.", {"type": "array", "items": _UUID}),
            body=body,
            extra=("409",),
        ),
    }


def _document_paths(scope: list[dict[str, Any]], id_name: str, summary: str) -> dict[str, Any]:
    doc_body = {
        "required": True,
        "content": {JSON: {"schema": {"type": "object"}}, "application/octet-stream": {}},
    }
    doc_id = _q(id_name, {"type": "string"})
    since = _q("since", _TIME)
    write = [*scope, _q(id_name, {"type": "string"}, required=True)]
    return {
        "get": _op(
            f"{summary}: one document, or the ids of all when {id_name} is absent.",
            _json_ok("The document or a list of ids."),
            params=[*scope, doc_id, since],
            extra=("404",),
        ),
        "put": _op(
            f"Store a {summary} document.",
            _NO_CONTENT,
            params=write,
            body=doc_body,
            extra=("409", "412"),
        ),
        "post": _op(
            f"Merge JSON into a {summary} document.",
            _NO_CONTENT,
            params=write,
            body=doc_body,
            extra=("409", "412"),
        ),
        "delete": _op(
            f"Delete one or all {summary} documents.",
            _NO_CONTENT,
            params=[*scope, doc_id],
            extra=("409", "412"),
        ),
    }


def _ops_paths() -> dict[str, Any]:
    text = {"200": {"description": "Prometheus text format.", "content": {"text/plain": {}}}}
    return {
        "/healthz": {"get": _op("Liveness.", _json_ok("Alive."), public=True, xapi=False)},
        "/readyz": {
            "get": _op(
                "Readiness: the store and the warehouse answer; lists the last model run's "
                "model_warnings (code, severity, message).",
                _json_ok("Ready."),
                public=True,
                xapi=False,
            )
        },
        "/metrics": {"get": _op("Prometheus metrics (scope metrics).", text, xapi=False)},
        "/openapi.json": {
            "get": _op("This document.", _json_ok("OpenAPI 3.1."), public=True, xapi=False)
        },
    }


def _analytics_paths() -> dict[str, Any]:
    """Admin-scoped warehouse endpoints (no xAPI version header)."""
    flag = {"type": "string", "enum": ["true", "false", "1", "0"]}
    sql_body = {
        "required": True,
        "content": {
            JSON: {
                "schema": {
                    "type": "object",
                    "properties": {
                        "sql": {"type": "string"},
                        "format": {"type": "string", "enum": ["json", "csv", "parquet"]},
                        "identity": {"type": "boolean"},
                    },
                    "required": ["sql"],
                    "additionalProperties": False,
                }
            }
        },
    }
    upload = {
        "required": True,
        "content": {"text/csv": {}, "application/x-ndjson": {}, "application/jsonl": {}},
    }
    kind = {"name": "kind", "in": "path", "required": True, "schema": {"type": "string"}}
    return {
        "/analytics/refresh": {
            "post": _op(
                "Refresh the warehouse now; 409 while another refresh runs.",
                _json_ok("The refresh summary."),
                params=[_q("full", flag), _q("as_of", {"type": "string", "format": "date"})],
                extra=("409",),
                xapi=False,
            )
        },
        "/analytics/imports/{kind}": {
            "post": _op(
                "Import a roster, requirements, incidents, census or certifications file.",
                _json_ok("The import report (400 when nothing loaded)."),
                params=[kind, _q("strict", flag)],
                body=upload,
                extra=("404", "409"),
                xapi=False,
            )
        },
        "/analytics/sql": {
            "post": _op(
                "Run one read-only SELECT on the pseudonymised warehouse.",
                _json_ok("Rows as JSON, CSV or Parquet."),
                body=sql_body,
                extra=("408", "409"),
                xapi=False,
            )
        },
        "/analytics/unmatched": {
            "get": _op(
                "Statement actors that match no staff identity.",
                _json_ok("The unmatched actors."),
                xapi=False,
            )
        },
        **_model_paths(),
    }


def _model_paths() -> dict[str, Any]:
    """Model outputs (analytics/read, analytics/staff or admin) and the admin recompute."""
    day = {"type": "string", "format": "date"}
    text = {"type": "string"}
    dept = _q("department_id", text)

    def read(summary: str, params: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        return {
            "get": _op(summary, _json_ok(summary), params=params, extra=("404", "409"), xapi=False)
        }

    return {
        "/analytics/cleared": read(
            "Who is cleared for a regulated task on a date, per competency with evidence ids.",
            [_q("task", text, required=True), _q("date", day)],
        ),
        "/analytics/flags": read(
            "Readiness flags of a month (YYYY-MM).",
            [_q("month", {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}), dept],
        ),
        "/analytics/compliance": read("Department x competency compliance rates.", [dept]),
        "/analytics/readiness": read("Department x competency readiness."),
        "/analytics/incidents": read("Incident rates and linkage (small cells suppressed)."),
        "/analytics/forecast": read("Compliance and readiness forecast, time to red."),
        "/analytics/retraining": read(
            "Staff who need retraining (analytics/staff, audited): JSON or LMS CSV.",
            [
                dept,
                _q("competency_id", text),
                _q("reason", text),
                _q("due_within_days", {"type": "integer", "minimum": 0, "maximum": 3650}),
                _q("as_of", day),
                _q("change_date", day),
                _q("format", {"type": "string", "enum": ["json", "csv"]}),
            ],
        ),
        "/analytics/models": {
            "post": _op(
                "Recompute every model as of a date and publish the tables.",
                _json_ok("The run summary."),
                params=[_q("as_of", day)],
                extra=("409",),
                xapi=False,
            )
        },
    }


def _admin_paths() -> dict[str, Any]:
    """Admin-scoped audit log and erasure (no xAPI version header)."""
    text = {"type": "string"}
    erase_body = {
        "required": True,
        "content": {
            JSON: {
                "schema": {
                    "type": "object",
                    "properties": {"agent": {"type": "object", "description": "Agent with an IFI"}},
                    "required": ["agent"],
                    "additionalProperties": False,
                }
            }
        },
    }
    audit_params = [
        _q("since", text),
        _q("actor", text),
        _q("limit", {"type": "string", "pattern": "^[0-9]+$"}),
        _q("verify", {"type": "string", "enum": ["true", "false"]}),
    ]
    return {
        "/admin/audit": {
            "get": _op(
                "Audit log entries; verify=true also checks the whole hash chain.",
                _json_ok("The entries (and the chain status)."),
                params=audit_params,
                xapi=False,
            )
        },
        "/admin/erase": {
            "post": _op(
                "Erase an agent (403 unless LRS_ALLOW_ERASURE=true); audited.",
                _json_ok("What was removed."),
                body=erase_body,
                xapi=False,
            )
        },
    }


def _forward_paths() -> dict[str, Any]:
    """Admin-scoped forwarding destinations (lrs/api/forward_admin.py; docs/interop.md)."""
    name = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
    html = {"200": {"description": "HTML status page.", "content": {"text/html": {}}}}
    body = {
        "required": True,
        "content": {
            JSON: {"schema": {"type": "object", "required": ["name", "url", "key", "secret"]}}
        },
    }
    return {
        "/admin/forward": {
            "get": _op(
                "Forwarding destinations and their status.", _json_ok("Status."), xapi=False
            ),
            "post": _op(
                "Add a forwarding destination.",
                _json_ok("The destination."),
                body=body,
                extra=("409",),
                xapi=False,
            ),
        },
        "/admin/forward/{name}": {
            "delete": _op(
                "Remove a destination.", _NO_CONTENT, params=[name], extra=("404",), xapi=False
            )
        },
        "/admin/forward/{name}/retry": {
            "post": _op(
                "Queue a destination's dead letters again.",
                _json_ok("Queued."),
                params=[name],
                extra=("404",),
                xapi=False,
            )
        },
        "/admin/forward/page": {"get": _op("Forwarding status page.", html, xapi=False)},
    }


def _components() -> dict[str, Any]:
    agent = {
        "type": "object",
        "properties": {
            "objectType": {"type": "string", "enum": ["Agent"]},
            "name": {"type": "string"},
            "mbox": {"type": "string", "pattern": "^mailto:[^@]+@[^@]+$"},
        },
        "required": ["mbox"],
    }
    error_item = {
        "type": "object",
        "properties": {k: {"type": "string"} for k in ("path", "rule", "message")},
        "required": ["path", "rule", "message"],
    }
    return {
        "securitySchemes": {"basicAuth": {"type": "http", "scheme": "basic"}},
        "schemas": {
            "Error": {
                "type": "object",
                "properties": {
                    "error": {"type": "string"},
                    "errors": {"type": "array", "items": error_item},
                    "status": {"type": "integer"},
                },
                "required": ["error", "errors", "status"],
            },
            "Statement": {
                "type": "object",
                "description": "An xAPI Statement (Data 2.4); validated in full by the LRS.",
                "properties": {
                    "id": _UUID,
                    "actor": agent,
                    "verb": {"type": "object", "properties": {"id": _IRI}, "required": ["id"]},
                    "object": {"type": "object", "properties": {"id": _IRI}, "required": ["id"]},
                    "timestamp": _TIME,
                },
                "required": ["actor", "verb", "object"],
            },
        },
    }


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document (a fresh dict each call)."""
    activity = _q("activityId", _IRI, required=True)
    agent = _q("agent", _AGENT_JSON, required=True)
    state_scope = [activity, agent, _q("registration", _UUID)]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Readiness LRS",
            "version": "0.1.0",
            "description": "xAPI 1.0.3 / 2.0 Learning Record Store with readiness analytics. "
            "Every error answers {error, errors: [{path, rule, message}], status}.",
        },
        "security": [{"basicAuth": []}],
        "components": _components(),
        "paths": {
            "/xapi/about": {
                "get": _op("Supported versions and extensions.", _json_ok("About."), public=True)
            },
            "/xapi/statements": _statement_paths(),
            "/xapi/activities/state": _document_paths(state_scope, "stateId", "State"),
            "/xapi/activities/profile": _document_paths(
                [activity], "profileId", "Activity Profile"
            ),
            "/xapi/agents/profile": _document_paths([agent], "profileId", "Agent Profile"),
            "/xapi/activities": {
                "get": _op("The canonical Activity.", _json_ok("Activity."), params=[activity])
            },
            "/xapi/agents": {
                "get": _op("The Person object of an Agent.", _json_ok("Person."), params=[agent])
            },
            **_analytics_paths(),
            **_admin_paths(),
            **_forward_paths(),
            **_ops_paths(),
        },
    }


@bp.get("/openapi.json")
def openapi_json() -> Response:
    """The OpenAPI document."""
    return jsonify(document())
