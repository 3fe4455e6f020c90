"""The one path every statement takes into a store: prepare a batch, then store it.

Used by ``POST/PUT /xapi/statements`` and by bulk loaders (``lrs demo load``), so that a
statement loaded from a file gets exactly the checks and LRS-set properties of one posted over
HTTP. Re-posting an identical statement is a no-op; a different one under a known id is a
``Conflict`` and nothing of the batch is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from statements.compare import equivalent
from statements.errors import BadRequest, Conflict, FieldError
from statements.prepare import prepare
from statements.store.base import Attachment, StatementRecord


def prepare_batch(
    statements: Sequence[dict[str, Any]],
    *,
    authority: dict[str, Any],
    api_version: str,
    now_us: int,
    statement_id: str | None = None,
) -> list[StatementRecord]:
    """Prepare validated statements; 400 when the batch repeats an id."""
    records = [
        prepare(
            s,
            authority=authority,
            api_version=api_version,
            now_us=now_us,
            statement_id=statement_id,
        )
        for s in statements
    ]
    seen: set[str] = set()
    for index, rec in enumerate(records):
        if rec.id in seen:
            raise BadRequest(
                "the batch repeats a statement id",
                [FieldError(f"$[{index}].id", "duplicate_id", f"{rec.id} appears twice")],
            )
        seen.add(rec.id)
    return records


def _comparable(new: StatementRecord, old: StatementRecord) -> dict[str, Any]:
    """The new body as compared with a stored one: an LRS-assigned timestamp is not content."""
    body = dict(new.body)
    if new.timestamp_assigned:
        body["timestamp"] = old.body.get("timestamp")
    return body


MAX_ATTEMPTS = 32  # bounded by the batch size in practice: each retry follows a new collision


def store_batch(
    store: Any, records: Sequence[StatementRecord], attachments: Sequence[Attachment] = ()
) -> list[StatementRecord]:
    """Insert the records not stored yet, all or nothing; return the ones inserted.

    A concurrent insert of one of these ids (the store's ``Conflict``) is re-checked: an
    identical statement racing with itself is accepted and a different one is a 409. Every
    retry happens only because another writer committed one of *these* ids, so the loop makes
    progress; with many overlapping batches a second or third collision is normal.
    """
    for attempt in range(MAX_ATTEMPTS):
        existing = store.get_by_ids([r.id for r in records])
        fresh = []
        for rec in records:
            old = existing.get(rec.id.lower())
            if old is None:
                fresh.append(rec)
            elif not equivalent(old.body, _comparable(rec, old)):
                raise Conflict(f"statement {rec.id} exists with different content")
        if not fresh:
            return []
        try:
            store.insert(fresh, list(attachments))
            return fresh
        except Conflict:
            if attempt == MAX_ATTEMPTS - 1:
                raise
    return []  # pragma: no cover - the loop always returns or raises
