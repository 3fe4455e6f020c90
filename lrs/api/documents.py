"""The document resources: State, Activity Profile and Agent Profile (Communication 2.2-2.7).

One generic handler serves the three resources, configured by a :class:`Resource`:

* ``GET`` with the id parameter → the document (bytes and Content-Type as stored, ``ETag``,
  ``Last-Modified``) or 404; without it → the JSON array of ids (``since`` exclusive), with the
  newest ``Last-Modified``.
* ``PUT`` → store (preconditions of :mod:`lrs.conditional`); ``POST`` → merge JSON objects or
  store when absent; ``DELETE`` → one document, or (State only, no ``stateId``) every document
  of the Activity + Agent [+ registration]. All answer 204.

Parameters are validated here (400 naming the parameter): ``activityId`` an absolute IRI,
``agent`` a JSON Agent (xAPI 2.0 also accepts an identified Group), ``registration`` a UUID,
the id non-empty, ``since`` a timestamp; unknown or repeated parameters are refused
(Communication 3.2). Scopes: ``state`` / ``profile`` write, and also ``all/read`` reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, jsonify, request

from lrs.auth import require
from lrs.conditional import precondition, stamp_body, stamp_document
from lrs.extensions import services
from lrs.headers import api_version
from statements import safejson
from statements.documents import (
    ACTIVITY_PROFILE,
    AGENT_PROFILE,
    DEFAULT_TYPE,
    STATE,
    DocumentScope,
    check_body,
)
from statements.errors import BadRequest, FieldError, NotFound
from statements.fields import is_iri, is_uuid
from statements.ifi import agent_key
from statements.timefmt import parse_param
from statements.validate import validate_agent

bp = Blueprint("documents", __name__)


# -- parameters (shared with the Activities and Agents resources) ------------------------------
def _bad(name: str, rule: str, message: str) -> BadRequest:
    return BadRequest(f"{name}: {message}", [FieldError(name, rule, message)])


def check_params(allowed: set[str]) -> None:
    """Refuse parameters not defined for this request, and repeated ones."""
    for name in request.args:
        if name not in allowed:
            raise _bad(name, "unknown_parameter", "not a parameter of this resource")
        if len(request.args.getlist(name)) > 1:
            raise _bad(name, "repeated_parameter", "given more than once")


def required_param(name: str) -> str:
    """A required, non-empty parameter."""
    value = request.args.get(name)
    if value is None:
        raise _bad(name, "required", "is required")
    if not value:
        raise _bad(name, "empty", "must not be empty")
    return value


def activity_param() -> str:
    """``activityId``: required, an absolute IRI."""
    value = required_param("activityId")
    if not is_iri(value):
        raise _bad("activityId", "iri", "must be an absolute IRI")
    return value


def agent_param(version: str, allow_group: bool) -> dict[str, Any]:
    """``agent``: required JSON Agent (or identified Group when ``allow_group``)."""
    raw = required_param("agent")
    agent = safejson.loads_text(raw, services().settings.max_json_depth, "agent")
    if not isinstance(agent, dict):
        raise _bad("agent", "type", "must be a JSON Agent object")
    if agent.get("objectType") == "Group" and not allow_group:
        raise _bad("agent", "object_type", "must be an Agent, not a Group")
    return validate_agent(agent, version, "agent", require_ifi=True)


def registration_param() -> str | None:
    """``registration``: optional UUID, lower-cased."""
    value = request.args.get("registration")
    if value is None:
        return None
    if not is_uuid(value):
        raise _bad("registration", "uuid", "must be a UUID")
    return value.lower()


def since_param() -> int | None:
    """``since``: optional timestamp → epoch microseconds."""
    value = request.args.get("since")
    return None if value is None else parse_param(value, "since")


# -- the resources -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Resource:
    """One document resource: its kind, path, id parameter and scopes."""

    kind: str
    rule: str
    id_param: str
    write_scope: str

    @property
    def params(self) -> set[str]:
        """The parameters of PUT/POST/DELETE (GET also takes ``since``)."""
        base = {self.id_param}
        if self.kind in (STATE, ACTIVITY_PROFILE):
            base.add("activityId")
        if self.kind in (STATE, AGENT_PROFILE):
            base.add("agent")
        if self.kind == STATE:
            base.add("registration")
        return base

    def scope(self) -> DocumentScope:
        """Parse and validate the owner parameters of this request."""
        version = api_version()
        activity = activity_param() if "activityId" in self.params else None
        key = None
        if "agent" in self.params:
            key = agent_key(agent_param(version, allow_group=version.startswith("2.")))
        registration = registration_param() if self.kind == STATE else None
        return DocumentScope(self.kind, activity, key, registration)

    def document_id(self, required: bool) -> str | None:
        """The id parameter (400 when ``required`` and missing or empty)."""
        if required or self.id_param in request.args:
            return required_param(self.id_param)
        return None


RESOURCES = (
    Resource(STATE, "/xapi/activities/state", "stateId", "state"),
    Resource(ACTIVITY_PROFILE, "/xapi/activities/profile", "profileId", "profile"),
    Resource(AGENT_PROFILE, "/xapi/agents/profile", "profileId", "profile"),
)


def _get(res: Resource) -> Response:
    check_params(res.params | {"since"})
    scope = res.scope()
    doc_id = res.document_id(required=False)
    since = since_param()
    store = services().store
    if doc_id is None:
        listed = store.list_document_ids(scope, since)
        return stamp_body(jsonify(listed.ids), listed.last_modified_us)
    doc = store.get_document(scope, doc_id)
    if doc is None:
        raise NotFound(f"no document {res.id_param}={doc_id}")
    return stamp_document(Response(doc.content, status=200, content_type=doc.content_type), doc)


def _write(res: Resource) -> Response:
    check_params(res.params)
    scope = res.scope()
    doc_id = res.document_id(required=True)
    assert doc_id is not None
    content = request.get_data(cache=True)
    content_type = request.headers.get("Content-Type") or DEFAULT_TYPE
    svc = services()
    check_body(content, content_type, svc.settings.max_json_depth)
    write = svc.store.put_document if request.method == "PUT" else svc.store.merge_document
    doc = write(
        scope, doc_id, content, content_type, svc.clock(), precondition(res.kind, api_version())
    )
    return stamp_document(Response(status=204), doc)


def _delete(res: Resource) -> Response:
    check_params(res.params)
    scope = res.scope()
    store = services().store
    doc_id = res.document_id(required=res.kind != STATE)
    if doc_id is None:
        store.delete_documents(scope)
    else:
        store.delete_document(scope, doc_id, precondition(res.kind, api_version()))
    return Response(status=204)


def _view(res: Resource, handler: Callable[[Resource], Response], *scopes: str) -> Any:
    @require(*scopes)
    def view() -> Response:
        return handler(res)

    view.__doc__ = f"{handler.__name__.strip('_').upper()} on {res.rule}."
    return view


for _res in RESOURCES:
    bp.add_url_rule(
        _res.rule,
        endpoint=f"{_res.kind}_get",
        view_func=_view(_res, _get, _res.write_scope, "all/read"),
        methods=["GET"],
    )
    bp.add_url_rule(
        _res.rule,
        endpoint=f"{_res.kind}_write",
        view_func=_view(_res, _write, _res.write_scope),
        methods=["PUT", "POST"],
    )
    bp.add_url_rule(
        _res.rule,
        endpoint=f"{_res.kind}_delete",
        view_func=_view(_res, _delete, _res.write_scope),
        methods=["DELETE"],
    )
