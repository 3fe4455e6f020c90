"""The statement query value and its loader from GET parameters (xAPI Communication 2.1.3)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from statements import safejson
from statements.errors import BadRequest, FieldError
from statements.timefmt import parse_param

FORMATS = ("exact", "ids", "canonical")
QUERY_PARAMS = frozenset(
    {
        "agent",
        "verb",
        "activity",
        "registration",
        "related_activities",
        "related_agents",
        "since",
        "until",
        "limit",
        "format",
        "attachments",
        "ascending",
    }
)
SINGLE_PARAMS = frozenset({"statementId", "voidedStatementId", "format", "attachments"})


@dataclass(frozen=True)
class StatementQuery:
    """Filters, order and paging of a statement query; every field optional.

    ``agent`` is an IFI key (:func:`statements.ifi.agent_key`); ``since``/``until`` are epoch
    microseconds of ``stored``; ``after_seq`` is the paging cursor and ``snapshot_seq`` pins the
    result set to statements stored before the first page was served.
    """

    agent: str | None = None
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False
    since: int | None = None
    until: int | None = None
    limit: int = 0
    ascending: bool = False
    authority: str | None = None
    after_seq: int | None = None
    snapshot_seq: int | None = None

    def filters(self) -> list[tuple[str, str]]:
        """The (kind, value) index keys every matching statement must carry."""
        out: list[tuple[str, str]] = []
        if self.agent is not None:
            out.append(("related_agent" if self.related_agents else "agent", self.agent))
        if self.verb is not None:
            out.append(("verb", self.verb))
        if self.activity is not None:
            kind = "related_activity" if self.related_activities else "activity"
            out.append((kind, self.activity))
        if self.registration is not None:
            out.append(("registration", self.registration))
        return out

    def next_page(self, after_seq: int, snapshot_seq: int | None) -> StatementQuery:
        """The same query positioned after ``after_seq``."""
        return replace(self, after_seq=after_seq, snapshot_seq=snapshot_seq)

    def to_params(self) -> dict[str, Any]:
        """A JSON-able form for cursors."""
        return {k: v for k, v in self.__dict__.items() if v not in (None, False, 0)}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> StatementQuery:
        """Inverse of :meth:`to_params`."""
        return cls(**dict(params))


@dataclass(frozen=True)
class QueryOptions:
    """How results are rendered: ``format`` and ``attachments``."""

    format: str = "exact"
    attachments: bool = False


def _bool(params: Mapping[str, str], name: str) -> bool:
    raw = params.get(name)
    if raw is None:
        return False
    value = raw.strip().lower()
    if value not in ("true", "false"):
        raise BadRequest(
            f"{name} must be true or false", [FieldError(name, "boolean", "must be true or false")]
        )
    return value == "true"


def _uuid(value: str, name: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise BadRequest(
            f"{name} is not a UUID", [FieldError(name, "uuid", f"{value!r} is not a UUID")]
        ) from exc


def load_options(params: Mapping[str, str]) -> QueryOptions:
    """Read ``format`` and ``attachments``."""
    fmt = params.get("format", "exact")
    if fmt not in FORMATS:
        raise BadRequest(
            "format must be exact, ids or canonical",
            [FieldError("format", "enum", f"{fmt!r} is not one of {', '.join(FORMATS)}")],
        )
    return QueryOptions(format=fmt, attachments=_bool(params, "attachments"))


def load_single_id(params: Mapping[str, str]) -> tuple[str, bool] | None:
    """``(id, voided)`` for a single-statement GET, None for a query; 400 on mixed parameters."""
    sid = params.get("statementId")
    vid = params.get("voidedStatementId")
    if sid is None and vid is None:
        return None
    if sid is not None and vid is not None:
        raise BadRequest(
            "statementId and voidedStatementId cannot be combined",
            [FieldError("statementId", "exclusive", "use one of statementId, voidedStatementId")],
        )
    extra = sorted(set(params) - SINGLE_PARAMS)
    if extra:
        raise BadRequest(
            "statementId/voidedStatementId allow only format and attachments",
            [FieldError(name, "not_allowed", "not allowed with a statement id") for name in extra],
        )
    name = "statementId" if sid is not None else "voidedStatementId"
    return _uuid(str(sid if sid is not None else vid), name), vid is not None


def load_query(
    params: Mapping[str, str],
    version: str,
    page_limit: int,
    max_depth: int = safejson.DEFAULT_MAX_DEPTH,
) -> StatementQuery:
    """Build a :class:`StatementQuery` from GET parameters; 400 naming the bad parameter."""
    from statements.ifi import agent_key
    from statements.validate import validate_agent

    unknown = sorted(set(params) - QUERY_PARAMS)
    if unknown:
        raise BadRequest(
            "unknown query parameter",
            [
                FieldError(name, "unknown_parameter", "not a statement query parameter")
                for name in unknown
            ],
        )
    agent = None
    if "agent" in params:
        agent_obj = safejson.loads_text(params["agent"], max_depth, "agent")
        agent = agent_key(validate_agent(agent_obj, version, path="agent"))
        if agent is None:
            raise BadRequest(
                "agent must be identified",
                [FieldError("agent", "one_ifi", "an anonymous group cannot be a filter")],
            )
    limit_raw = params.get("limit", "0")
    try:
        limit = int(limit_raw)
        if limit < 0:
            raise ValueError(limit_raw)
    except ValueError as exc:
        raise BadRequest(
            "limit must be a non-negative integer",
            [FieldError("limit", "integer", "must be a non-negative integer")],
        ) from exc
    limit = page_limit if limit == 0 else min(limit, page_limit)
    return StatementQuery(
        agent=agent,
        verb=params.get("verb"),
        activity=params.get("activity"),
        registration=_uuid(params["registration"], "registration")
        if "registration" in params
        else None,
        related_activities=_bool(params, "related_activities"),
        related_agents=_bool(params, "related_agents"),
        since=parse_param(params["since"], "since") if "since" in params else None,
        until=parse_param(params["until"], "until") if "until" in params else None,
        limit=limit,
        ascending=_bool(params, "ascending"),
    )
