"""How a statement is laid out as a MongoDB document (see ``docs/mongodb.md``).

The statement body is stored *opaquely* as its JSON text (``body``), next to the fields that
queries filter and sort on. MongoDB never sees the body's own keys, so extension IRIs full of
dots, keys beginning with ``$`` and arbitrary language tags round-trip exactly on every server
version (4.4+ included), and ``json.loads`` gives back the same dict in the same key order.

Filter keys are kept as one array of ``"kind\\x1fvalue"`` strings (``keys``), indexed together
with ``seq`` (a multikey index), so every ``agent``/``verb``/``activity``/``registration`` filter
is an index scan in ``seq`` order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from statements.store.base import StatementRecord

SEP = "\x1f"

# Fields read back for a record (everything but the filter keys, which only queries need).
RECORD_FIELDS = {
    "_id": 1,
    "seq": 1,
    "stored_us": 1,
    "voided": 1,
    "ref_target": 1,
    "voids": 1,
    "authority_key": 1,
    "body": 1,
}


def encode_key(kind: str, value: str) -> str:
    """One filter key as stored in ``keys``."""
    return f"{kind}{SEP}{value}"


def decode_key(stored: str) -> tuple[str, str]:
    """Inverse of :func:`encode_key`."""
    kind, _, value = stored.partition(SEP)
    return kind, value


def encode_keys(keys: Iterable[tuple[str, str]]) -> list[str]:
    """Filter keys as a sorted list (stable documents, stable ``$addToSet`` results)."""
    return sorted(encode_key(k, v) for k, v in keys)


def dumps(value: Any) -> str:
    """Compact JSON text; ASCII-escaped only if the value holds lone surrogates (not UTF-8)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(value, separators=(",", ":"))
    return text


def to_doc(rec: StatementRecord, seq: int, pending: str | None, batch: str) -> dict[str, Any]:
    """The MongoDB document for a record about to be inserted with ``seq``."""
    return {
        "_id": rec.id.lower(),
        "seq": seq,
        "stored_us": rec.stored_us,
        "voided": False,
        "ref_target": rec.ref_target,
        "voids": rec.voids,
        "authority_key": rec.authority_key,
        "keys": encode_keys(rec.keys),
        "pending": pending,
        "batch": batch,
        "body": dumps(rec.body),
    }


def from_doc(doc: Mapping[str, Any]) -> StatementRecord:
    """The record a stored document holds."""
    return StatementRecord(
        id=str(doc["_id"]),
        body=json.loads(doc["body"]),
        stored_us=int(doc["stored_us"]),
        keys=frozenset(decode_key(k) for k in doc.get("keys") or ()),
        ref_target=doc.get("ref_target"),
        voids=doc.get("voids"),
        authority_key=doc.get("authority_key"),
        voided=bool(doc.get("voided")),
        seq=int(doc["seq"]),
    )
