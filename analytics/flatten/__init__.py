"""Flatten stored statements into the typed columns of ``statements_all`` (a Polars frame).

Identities never reach the frame: actors (and Agents/Groups used as objects) become keyed-hash
pseudonyms (:func:`analytics.pseudonym.actor_key`); the IFI behind each actor pseudonym is
returned separately for the admin-only ``identity.actor_ifi`` table.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import isodate
import polars as pl
import pyarrow as pa

from analytics.flatten.fast import PseudonymCache, flatten_frame, flatten_table
from analytics.pseudonym import actor_key
from statements import jsonenc
from statements.ifi import agent_key
from statements.store.base import StatementRecord
from statements.timefmt import to_us

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
_TEXT = pl.String
_IDS = pl.List(pl.String)
_TS = pl.Datetime("us", "UTC")

SCHEMA: dict[str, Any] = {
    "statement_id": _TEXT,
    "seq": pl.Int64,
    "actor_key": _TEXT,
    "person_key": _TEXT,
    "verb_id": _TEXT,
    "object_id": _TEXT,
    "object_type": _TEXT,
    "registration": _TEXT,
    "parent_ids": _IDS,
    "grouping_ids": _IDS,
    "category_ids": _IDS,
    "interaction_type": _TEXT,
    "response": _TEXT,
    "score_scaled": pl.Float64,
    "score_raw": pl.Float64,
    "score_min": pl.Float64,
    "score_max": pl.Float64,
    "success": pl.Boolean,
    "completion": pl.Boolean,
    "duration_s": pl.Float64,
    "timestamp": _TS,
    "stored": _TS,
    "voided": pl.Boolean,
    "is_voiding": pl.Boolean,
    "department_id": _TEXT,
    "role_code": _TEXT,
}
# The same schema in Arrow terms (as Polars maps it), to build batches in C.
ARROW_SCHEMA = pa.schema(
    [(name, pl.Series(name, [], dtype=kind).to_arrow().type) for name, kind in SCHEMA.items()]
)
_YEAR_S = 365.2425 * 86_400
_MONTH_S = _YEAR_S / 12


@dataclass
class Flattened:
    """One batch: the frame for ``statements_all`` and ``{actor_key: ifi}`` seen in it."""

    frame: pl.DataFrame
    actors: dict[str, str] = field(default_factory=dict)


def identity_of(agent: Any) -> str | None:
    """The IFI string of an Agent/Group; an anonymous Group is named by its members' IFIs."""
    if not isinstance(agent, Mapping):
        return None
    ifi = agent_key(agent)
    if ifi is not None:
        return ifi
    members = [agent_key(m) for m in agent.get("member") or [] if isinstance(m, Mapping)]
    named = sorted(m for m in members if m)
    return "group:" + ",".join(named) if named else None


@functools.lru_cache(maxsize=65_536)
def _duration_seconds(value: str) -> float | None:
    try:
        parsed = isodate.parse_duration(value)
    except (ValueError, isodate.ISO8601Error):
        return None
    if isinstance(parsed, isodate.Duration):
        years, months = float(parsed.years), float(parsed.months)
        return years * _YEAR_S + months * _MONTH_S + float(parsed.tdelta.total_seconds())
    return float(parsed.total_seconds())


def duration_seconds(value: Any) -> float | None:
    """Seconds of an ISO 8601 duration (a year is 365.2425 days); None when absent or bad."""
    return _duration_seconds(value) if isinstance(value, str) else None


def timestamp_us(value: Any) -> int | None:
    """Epoch microseconds (UTC) of an ISO 8601 timestamp; None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            moment = isodate.parse_datetime(value)
        except (ValueError, isodate.ISO8601Error):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return to_us(moment)


def _ids(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value] if isinstance(value, Mapping) else []
    return [str(a["id"]) for a in items if isinstance(a, Mapping) and "id" in a]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


class _Flattener:
    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self.actors: dict[str, str] = {}
        self.keys: dict[str, str] = {}  # IFI -> pseudonym: one HMAC per distinct actor a batch
        self.cols: dict[str, list[Any]] = {name: [] for name in SCHEMA}

    def pseudonym(self, agent: Any, remember: bool = False) -> str | None:
        ifi = identity_of(agent)
        if ifi is None:
            return None
        key = self.keys.get(ifi)
        if key is None:
            key = self.keys[ifi] = actor_key(self.secret, ifi)
        if remember:
            self.actors[key] = ifi
        return key

    def object_fields(self, obj: Any) -> tuple[str | None, str, str | None]:
        """(object_id, object_type, interaction_type) of a statement's object."""
        if not isinstance(obj, Mapping):
            return None, "Activity", None
        kind = str(obj.get("objectType") or "Activity")
        if kind in ("Agent", "Group"):
            return self.pseudonym(obj), kind, None
        if kind == "StatementRef":
            return str(obj.get("id", "")).lower() or None, kind, None
        if kind == "SubStatement":
            inner_id, _, interaction = self.object_fields(obj.get("object"))
            return inner_id, kind, interaction
        definition = obj.get("definition")
        interaction = definition.get("interactionType") if isinstance(definition, Mapping) else None
        return (str(obj["id"]) if "id" in obj else None), kind, interaction

    def add(self, record: StatementRecord) -> None:
        body = record.body
        context = _mapping(body.get("context"))
        activities = _mapping(context.get("contextActivities"))
        result = _mapping(body.get("result"))
        score = _mapping(result.get("score"))
        verb_id = _mapping(body.get("verb")).get("id")
        object_id, object_type, interaction = self.object_fields(body.get("object"))
        response = result.get("response")
        row = {
            "statement_id": record.id,
            "seq": record.seq,
            "actor_key": self.pseudonym(body.get("actor"), remember=True),
            "verb_id": verb_id,
            "object_id": object_id,
            "object_type": object_type,
            "registration": context.get("registration"),
            "parent_ids": _ids(activities.get("parent")),
            "grouping_ids": _ids(activities.get("grouping")),
            "category_ids": _ids(activities.get("category")),
            "interaction_type": interaction,
            "response": response if isinstance(response, str) else None,
            "score_scaled": _number(score.get("scaled")),
            "score_raw": _number(score.get("raw")),
            "score_min": _number(score.get("min")),
            "score_max": _number(score.get("max")),
            "success": _flag(result.get("success")),
            "completion": _flag(result.get("completion")),
            "duration_s": duration_seconds(result.get("duration")),
            "timestamp": timestamp_us(body.get("timestamp")),
            "stored": record.stored_us,
            "voided": bool(record.voided),
            "is_voiding": verb_id == VOIDED_VERB,
        }
        for name, values in self.cols.items():
            values.append(row.get(name))


def flatten(records: Sequence[StatementRecord], secret: bytes) -> Flattened:
    """Flatten one batch of records (any statement shape) into a typed frame.

    Vectorised (:mod:`analytics.flatten.fast`); a batch holding a shape that path does not
    handle (it raises) takes the per-statement path (:func:`flatten_python`), which gives the
    same frame.
    """
    if records:
        try:
            frame, actors = flatten_frame(records, secret, SCHEMA)
        except (pl.exceptions.PolarsError, duckdb.Error):
            return flatten_python(records, secret)
        return Flattened(frame, actors)
    return flatten_python(records, secret)


def flatten_raw(raw: pa.Table, secret: bytes, cache: PseudonymCache | None = None) -> Flattened:
    """:func:`flatten` of a :data:`analytics.flatten.fast.RAW_SCHEMA` table (bodies as text).

    The refresh's path: the stored JSON text goes to DuckDB unparsed (``cache``: pseudonyms
    kept from the previous batches, :class:`analytics.flatten.fast.Pseudonyms`). A batch the
    vectorised path does not handle is parsed here and flattened per statement, as
    :func:`flatten` does.
    """
    if raw.num_rows:
        try:
            frame, actors = flatten_table(raw, secret, SCHEMA, cache)
        except (pl.exceptions.PolarsError, duckdb.Error):
            pass
        else:
            return Flattened(frame, actors)
    return flatten_python(records_of(raw), secret)


def records_of(raw: pa.Table) -> list[StatementRecord]:
    """The records of a raw table, bodies parsed (the fields :func:`flatten_python` reads)."""
    columns = raw.to_pydict()
    return [
        StatementRecord(id=sid, body=jsonenc.loads(body), stored_us=stored, voided=voided, seq=seq)
        for sid, seq, stored, voided, body in zip(
            columns["statement_id"],
            columns["seq"],
            columns["stored"],
            columns["voided"],
            columns["body"],
            strict=True,
        )
    ]


def flatten_python(records: Sequence[StatementRecord], secret: bytes) -> Flattened:
    """Flatten one batch statement by statement (the reference for the vectorised path)."""
    flattener = _Flattener(secret)
    for record in records:
        flattener.add(record)
    # Built through Arrow (C) rather than Python-object Series: list columns are 10x faster.
    table = pa.Table.from_pydict(flattener.cols, schema=ARROW_SCHEMA)
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return Flattened(frame, flattener.actors)
