"""Vectorised flattening: DuckDB parses the stored bodies, Polars expressions flatten them.

Produces the same frame and actor map as the per-statement flattener in
:mod:`analytics.flatten` for every statement the LRS stores (validated, normalised
statements), with Python work only per *distinct* value where the rules live in Python: one
pseudonym per distinct actor (:func:`analytics.flatten.identity_of`, HMAC), one parse per
distinct duration, and one :func:`analytics.flatten.timestamp_us` per timestamp. The bodies
are serialised with orjson into one Arrow string column and parsed once each by DuckDB's
``from_json`` with a structure naming only the properties the warehouse uses.

``from_json`` is lenient where a body breaks the xAPI types (a number where a string is
expected becomes its text): such bodies never pass validation, so they are never stored.
A shape this path does not handle raises, and :func:`analytics.flatten.flatten` then
flattens that batch the per-statement way. ``tests/analytics/test_flatten_fast.py``
compares both paths.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa

from analytics.pseudonym import actor_key
from statements.jsonenc import dumps
from statements.store.base import StatementRecord

_S = pl.String
_V = "VARCHAR"
_IFI: dict[str, Any] = {
    "mbox": _V,
    "mbox_sha1sum": _V,
    "openid": _V,
    "account": {"homePage": _V, "name": _V},
}
_ACTOR: dict[str, Any] = {**_IFI, "member": [_IFI]}
_ACTOR_FIELDS = list(_ACTOR)
_TARGET: dict[str, Any] = {
    "objectType": _V,
    "id": _V,
    "definition": {"interactionType": _V},
    **_ACTOR,
}
_RELATIONS = ("parent", "grouping", "category")
#: What DuckDB's ``from_json`` reads of each body (every other property is skipped).
BODY_STRUCTURE: dict[str, Any] = {
    "actor": _ACTOR,
    "verb": {"id": _V},
    "object": {**_TARGET, "object": _TARGET},
    "context": {
        "registration": _V,
        "contextActivities": {relation: "JSON" for relation in _RELATIONS},
    },
    "result": {
        "response": _V,
        "score": {k: "DOUBLE" for k in ("scaled", "raw", "min", "max")},
        "success": "BOOLEAN",
        "completion": "BOOLEAN",
        "duration": _V,
    },
    "timestamp": _V,
}


def _relation_sql(relation: str) -> str:
    """One relation's activities as a list (a single Activity object counts as a list of one)."""
    value = f"j.context.contextActivities.{relation}"
    one = '{"id": "VARCHAR"}'
    return (
        f"CASE json_type({value}) WHEN 'OBJECT' THEN [from_json({value}, '{one}')] "
        f"ELSE from_json({value}, '[{one}]') END AS {relation}"
    )


_READ_SQL = f"""
SELECT i, j.actor, j.verb, j.object, j.result, j.timestamp,
       struct_pack(registration := j.context.registration,
                   contextActivities := struct_pack({", ".join(_RELATIONS)})) AS context
FROM (
    SELECT i, j, {", ".join(_relation_sql(r) for r in _RELATIONS)}
    FROM (SELECT i, from_json(b, '{json.dumps(BODY_STRUCTURE)}') AS j FROM bodies)
)
"""


#: Pseudonyms of actor structures already seen (their JSON → ``(pseudonym, ifi)``, None for
#: no identity), kept across the batches of one refresh; see :class:`Pseudonyms`.
PseudonymCache = dict[str, tuple[str, str] | None]
#: A cache that grows past this many actor structures is emptied (memory stays bounded).
CACHE_LIMIT = 200_000


class Pseudonyms:
    """Actor pseudonyms for struct columns, computed once per distinct identity.

    ``cache`` carries them from batch to batch (one HMAC per actor per refresh, not per batch);
    :attr:`actors` holds only this batch's actors either way.
    """

    def __init__(self, secret: bytes, cache: PseudonymCache | None = None) -> None:
        self.secret = secret
        self.by_ifi: dict[str, str] = {}
        self.actors: dict[str, str] = {}
        self.cache: PseudonymCache = {} if cache is None else cache
        if len(self.cache) > CACHE_LIMIT:
            self.cache.clear()

    def _lookup(self, key: str) -> tuple[str, str] | None:
        from analytics.flatten import identity_of

        if key in self.cache:
            return self.cache[key]
        ifi = identity_of(json.loads(key))
        found = None
        if ifi is not None:
            pseudonym = self.by_ifi.get(ifi)
            if pseudonym is None:
                pseudonym = self.by_ifi[ifi] = actor_key(self.secret, ifi)
            found = (pseudonym, ifi)
        self.cache[key] = found
        return found

    def column(self, actor: pl.Series, *, remember: bool = False) -> pl.Series:
        """The pseudonym of each row's Agent/Group (null when it has no identity)."""
        keys = actor.struct.json_encode()
        mapping: dict[str, str | None] = {}
        for key in keys.unique().drop_nulls().to_list():
            found = self._lookup(key)
            if found is None:
                mapping[key] = None
                continue
            pseudonym, ifi = found
            if remember:
                self.actors[pseudonym] = ifi
            mapping[key] = pseudonym
        return keys.replace_strict(mapping, default=None, return_dtype=_S)


def _actor_part(target: pl.Series) -> pl.Series:
    return target.struct.unnest().select(pl.struct(_ACTOR_FIELDS)).to_series()


def _kind(target: pl.Expr) -> pl.Expr:
    raw = target.struct.field("objectType")
    return pl.when(raw.is_null() | (raw == "")).then(pl.lit("Activity")).otherwise(raw)


def _target_exprs(
    target: pl.Expr, pseudonym: str
) -> tuple[pl.Expr, pl.Expr, pl.Expr]:  # (kind, id, interaction)
    kind = _kind(target)
    raw_id = target.struct.field("id")
    ref = raw_id.str.to_lowercase()
    object_id = (
        pl.when(kind.is_in(["Agent", "Group"]))
        .then(pl.col(pseudonym))
        .when(kind == "StatementRef")
        .then(pl.when(ref == "").then(None).otherwise(ref))
        .otherwise(raw_id)
    )
    interaction = (
        pl.when(kind.is_in(["Agent", "Group", "StatementRef"]))
        .then(None)
        .otherwise(target.struct.field("definition").struct.field("interactionType"))
    )
    return kind, object_id, interaction


def _ids(relation: str) -> pl.Expr:
    activities = pl.col("context").struct.field("contextActivities")
    ids = activities.struct.field(relation).list.eval(pl.element().struct.field("id").drop_nulls())
    return ids.fill_null(pl.lit([], dtype=pl.List(_S)))


#: The input of :func:`flatten_table`: record fields and the stored JSON text of each body.
RAW_SCHEMA = pa.schema(
    [
        ("statement_id", pa.string()),
        ("seq", pa.int64()),
        ("stored", pa.int64()),
        ("voided", pa.bool_()),
        ("body", pa.string()),
    ]
)


def raw_table(rows: Sequence[tuple[int, str, int, int, str]]) -> pa.Table:
    """A :data:`RAW_SCHEMA` table of ``(seq, id, stored_us, voided, body text)`` rows.

    The rows of :meth:`statements.store.sqlite.SQLiteStore.iter_raw_since`: the bodies stay
    text (DuckDB parses them), so nothing is built per statement here but the columns.
    """
    seq, ids, stored, voided, bodies = zip(*rows, strict=True) if rows else ((),) * 5
    return pa.table(
        [
            pa.array(ids, pa.string()),
            pa.array(seq, pa.int64()),
            pa.array(stored, pa.int64()),
            pa.array(voided, pa.int8()).cast(pa.bool_()),
            pa.array(bodies, pa.string()),
        ],
        schema=RAW_SCHEMA,
    )


def records_table(records: Sequence[StatementRecord]) -> pa.Table:
    """A :data:`RAW_SCHEMA` table of parsed records (their bodies serialised with orjson)."""
    texts = pa.array([dumps(record.body) for record in records], type=pa.binary())
    return pa.table(
        [
            pa.array([r.id for r in records], pa.string()),
            pa.array([r.seq for r in records], pa.int64()),
            pa.array([r.stored_us for r in records], pa.int64()),
            pa.array([bool(r.voided) for r in records], pa.bool_()),
            texts.cast(pa.string()),
        ],
        schema=RAW_SCHEMA,
    )


def read_bodies(raw: pa.Table) -> pl.DataFrame:
    """The bodies as a frame of the properties in :data:`BODY_STRUCTURE` (parsed by DuckDB)."""
    table = pa.table({"i": pa.array(range(raw.num_rows), pa.int64()), "b": raw.column("body")})
    with duckdb.connect() as conn:
        conn.register("bodies", table)
        frame = pl.from_arrow(conn.sql(_READ_SQL).to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    # DuckDB keeps a scan's order (``preserve_insertion_order``); sorting 50,000 parsed
    # structures would cost 40 % of the parse, so it is only checked (and sorted if ever not).
    if not frame["i"].equals(
        pl.int_range(0, raw.num_rows, eager=True, dtype=pl.Int64), check_names=False
    ):
        frame = frame.sort("i")
    return frame.drop("i")


#: Timestamps parsed by Polars: years 1000 to 2999, a real time of day (no leap second), up to
#: six decimals, an offset. Python parses every other one (``timestamp_us``).
_PLAIN_TIMESTAMP = (
    r"^[12]\d{3}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?"
    r"(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$"
)


def _timestamps(values: pl.Series, timestamp_us: Callable[[Any], int | None]) -> pl.Series:
    """Epoch microseconds of ISO 8601 timestamps, as ``timestamp_us`` gives them.

    The common shape is parsed in one Polars expression; Python parses the rest (and any date
    Polars refuses, such as 30 February) once per distinct value.
    """
    parsed = (
        values.str.replace(r"Z$", "+00:00")
        .str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z", time_unit="us", time_zone="UTC", strict=False)
        .dt.epoch("us")
    )
    fast = pl.select(
        pl.when(values.str.contains(_PLAIN_TIMESTAMP)).then(parsed).otherwise(None)
    ).to_series()
    rest = values.filter(fast.is_null() & values.is_not_null()).unique()
    if rest.is_empty():
        return fast
    slow = values.replace_strict(
        {value: timestamp_us(value) for value in rest.to_list()},
        default=None,
        return_dtype=pl.Int64,
    )
    return fast.fill_null(slow)


def _python_columns(raw: pa.Table, bodies: pl.DataFrame) -> pl.DataFrame:
    """The columns computed by Python rules (durations, timestamps) and the record fields."""
    from analytics.flatten import duration_seconds, timestamp_us

    durations = bodies["result"].struct.field("duration")
    seconds = {d: duration_seconds(d) for d in durations.unique().drop_nulls().to_list()}
    stamps = _timestamps(bodies["timestamp"], timestamp_us)
    fields = pl.from_arrow(raw.select(["statement_id", "seq", "stored", "voided"]))
    assert isinstance(fields, pl.DataFrame)
    return fields.with_columns(
        stamps.alias("timestamp"),
        durations.replace_strict(seconds, default=None, return_dtype=pl.Float64).alias(
            "duration_s"
        ),
    )


def flatten_frame(
    records: Sequence[StatementRecord], secret: bytes, schema: dict[str, Any]
) -> tuple[pl.DataFrame, dict[str, str]]:
    """:func:`flatten_table` of parsed records."""
    return flatten_table(records_table(records), secret, schema)


def flatten_table(
    raw: pa.Table, secret: bytes, schema: dict[str, Any], cache: PseudonymCache | None = None
) -> tuple[pl.DataFrame, dict[str, str]]:
    """The ``statements_all`` frame (columns and types of ``schema``) and the actor map.

    ``raw`` is a :data:`RAW_SCHEMA` table (:func:`raw_table`, :func:`records_table`);
    ``cache`` keeps pseudonyms from one batch to the next (:class:`Pseudonyms`).
    """
    from analytics.flatten import VOIDED_VERB

    bodies = read_bodies(raw)
    names = Pseudonyms(secret, cache)
    target = bodies["object"]
    inner = target.struct.field("object")
    bodies = bodies.with_columns(
        names.column(bodies["actor"], remember=True).alias("_actor"),
        names.column(_actor_part(target)).alias("_object_actor"),
        names.column(_actor_part(inner)).alias("_inner_actor"),
    )
    kind, outer_id, outer_interaction = _target_exprs(pl.col("object"), "_object_actor")
    inner_expr = pl.col("object").struct.field("object")
    inner_kind, inner_id, inner_interaction = _target_exprs(inner_expr, "_inner_actor")
    if (bodies.select((kind == "SubStatement") & (inner_kind == "SubStatement")).to_series()).any():
        raise pl.exceptions.ComputeError("a SubStatement nested in a SubStatement")
    sub = kind == "SubStatement"
    inner_present = inner_expr.is_not_null()
    result, score = pl.col("result"), pl.col("result").struct.field("score")
    verb_id = pl.col("verb").struct.field("id")
    frame = bodies.select(
        pl.col("_actor").alias("actor_key"),
        verb_id.alias("verb_id"),
        pl.when(sub)
        .then(pl.when(inner_present).then(inner_id))
        .otherwise(outer_id)
        .alias("object_id"),
        kind.alias("object_type"),
        pl.col("context").struct.field("registration").alias("registration"),
        _ids("parent").alias("parent_ids"),
        _ids("grouping").alias("grouping_ids"),
        _ids("category").alias("category_ids"),
        pl.when(sub)
        .then(pl.when(inner_present).then(inner_interaction))
        .otherwise(outer_interaction)
        .alias("interaction_type"),
        result.struct.field("response").alias("response"),
        *[score.struct.field(k).alias(f"score_{k}") for k in ("scaled", "raw", "min", "max")],
        result.struct.field("success").alias("success"),
        result.struct.field("completion").alias("completion"),
        (verb_id == VOIDED_VERB).fill_null(False).alias("is_voiding"),
    )
    frame = pl.concat([frame, _python_columns(raw, bodies)], how="horizontal")
    frame = frame.with_columns(
        pl.lit(None, dtype=_S).alias(name) for name in ("person_key", "department_id", "role_code")
    )
    return frame.select(pl.col(name).cast(kind) for name, kind in schema.items()), names.actors
