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
from statements.errors import BadRequest, Conflict, FieldError, IdConflict
from statements.prepare import BatchContext, prepare_in
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
    batch = BatchContext.of(authority, api_version, now_us)
    records = [prepare_in(s, batch, statement_id) for s in statements]
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

    On a store with ``insert_reports_collisions`` (SQLite) the batch goes straight to
    ``store.insert``; only when the store reports ids that are already stored (``IdConflict``;
    a plain ``Conflict`` means "some of them") are those compared with what is stored (other
    stores are asked for every id first): an identical statement is a no-op (also when it
    raced with itself), a different one is a 409, and the rest is inserted again. Every retry
    happens only because another writer committed one of *these* ids, so the loop makes
    progress.
    """
    fresh = list(records)
    if not getattr(store, "insert_reports_collisions", False):
        # Stores whose failed insert costs something (MongoDB burns reserved seq numbers,
        # leaving gaps forwarding waits on) are asked first, as before.
        fresh = _without_stored(store, fresh, [r.id for r in fresh])
    for attempt in range(MAX_ATTEMPTS):
        if not fresh:
            return []
        try:
            store.insert(fresh, list(attachments))
            return fresh
        except Conflict as exc:
            if attempt == MAX_ATTEMPTS - 1:
                raise
            ids = exc.ids if isinstance(exc, IdConflict) else [r.id for r in fresh]
            fresh = _without_stored(store, fresh, ids)
    return []  # pragma: no cover - the loop always returns or raises


def _without_stored(
    store: Any, records: list[StatementRecord], ids: Sequence[str]
) -> list[StatementRecord]:
    """``records`` minus those stored identically; ``Conflict`` if one is stored differently."""
    existing = store.get_by_ids(list(ids))
    fresh = []
    for rec in records:
        old = existing.get(rec.id.lower())
        if old is None:
            fresh.append(rec)
        elif not equivalent(old.body, _comparable(rec, old)):
            raise Conflict(f"statement {rec.id} exists with different content")
    return fresh
