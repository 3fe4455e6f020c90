"""Storing statements that come from elsewhere (another LRS, an NDJSON file) with their ids.

Every statement goes through the same path as ``POST /xapi/statements``: validation
(:func:`statements.validate.validate_statements`), attachment checks, LRS-set properties
(:func:`statements.ingest.prepare_batch`) and :func:`statements.ingest.store_batch`, so an
identical statement already here is a no-op and a different one under a known id is refused.
Our ``stored`` and ``authority`` are ours; the source's are kept in the store's provenance
table (``statement_provenance``: id, source, stored, authority — see ``docs/interop.md``).

A chunk is stored in one transaction; when any statement of it is refused, the chunk is
stored one statement at a time so that every refusal is reported against its own line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lrs.learning import LearnedCache, learn
from lrs.multipart import check_parts
from statements.errors import LRSError
from statements.ingest import prepare_batch, store_batch
from statements.store.base import Attachment
from statements.validate import validate_statements

AttachmentLookup = Callable[[str], Attachment | None]


@dataclass
class Rejected:
    """A statement that was not stored: its position (line number or index) and why."""

    where: int
    message: str
    errors: list[dict[str, str]] = field(default_factory=list)
    statement_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON form for the bad-line report."""
        return {
            "line": self.where,
            "id": self.statement_id,
            "message": self.message,
            "errors": self.errors,
        }


@dataclass
class Importer:
    """Stores chunks of foreign statements; counts what it stored, found and refused."""

    store: Any
    interop: Any
    authority: dict[str, Any]
    source: str
    clock: Callable[[], int]
    version: str = "1.0.3"
    stored: int = 0
    existing: int = 0
    refused: int = 0
    learned: LearnedCache = field(default_factory=LearnedCache)

    def add(
        self, items: Sequence[tuple[int, dict[str, Any]]], attachments: AttachmentLookup
    ) -> list[Rejected]:
        """Store ``(position, statement)`` items; return the ones refused (also kept)."""
        if not items:
            return []
        try:
            self._store(items, attachments)
            return []
        except LRSError:
            if len(items) == 1:
                raise
        bad: list[Rejected] = []
        for item in items:
            try:
                self._store([item], attachments)
            except LRSError as exc:
                bad.append(_rejected(item, exc))
        self.refused += len(bad)
        return bad

    def _store(
        self, items: Sequence[tuple[int, dict[str, Any]]], attachments: AttachmentLookup
    ) -> None:
        bodies = [body for _, body in items]
        statements = validate_statements(bodies, self.version)
        parts = _parts(statements, attachments)
        check_parts(statements, parts)
        records = prepare_batch(
            statements, authority=self.authority, api_version=self.version, now_us=self.clock()
        )
        fresh = store_batch(self.store, records, parts)
        self._learn([r.body for r in fresh])
        self.stored += len(fresh)
        self.existing += len(records) - len(fresh)
        self.interop.record_provenance(
            [
                (r.id, self.source, b.get("stored"), b.get("authority"))
                for r, b in zip(records, bodies, strict=True)
            ]
        )

    def _learn(self, bodies: list[dict[str, Any]]) -> None:
        """Activities and Agents for their resources, as a POST without ``define`` would."""
        learn(self.store, self.learned, bodies, may_define=False)


def _rejected(item: tuple[int, dict[str, Any]], exc: LRSError) -> Rejected:
    sid = item[1].get("id") if isinstance(item[1], dict) else None
    return Rejected(
        item[0], exc.message, [e.as_dict() for e in exc.errors], str(sid) if sid else None
    )


def attachment_hashes(body: dict[str, Any]) -> list[str]:
    """SHA-2 of every attachment of a statement and of its SubStatement object."""
    out = []
    for holder in (body, body.get("object")):
        if isinstance(holder, dict):
            for att in holder.get("attachments") or []:
                if isinstance(att, dict) and att.get("sha2"):
                    out.append(str(att["sha2"]).lower())
    return out


def _parts(statements: Sequence[dict[str, Any]], lookup: AttachmentLookup) -> list[Attachment]:
    """The attachment parts of these statements that the source has (by hash, once each)."""
    found: dict[str, Attachment] = {}
    for body in statements:
        for sha in attachment_hashes(body):
            part = found.get(sha) or lookup(sha)
            if part is not None:
                found[sha] = part
    return list(found.values())
