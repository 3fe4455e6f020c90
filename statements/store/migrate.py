"""Copy a whole LRS from one store to another (any backend to any backend) and verify it.

Statements are copied in ``seq`` order with their ids, bodies (exactly), ``stored`` and — by
re-deriving them from the bodies — voided flags and StatementRef filter keys; then
attachments, documents, credentials, canonical Activities and seen Agents. Every step is
idempotent: statements whose id the destination already holds are skipped, documents are
rewritten as they are, so an interrupted copy is resumed by running it again.

Verification compares per-kind counts and a checksum of the statement ids: the sum modulo
2**256 of SHA-256(id) over all ids — independent of order and computed in constant memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from statements.ifi import agent_key
from statements.indexing import ref_target, statement_keys, voided_target
from statements.store.base import Attachment, StatementRecord

MOD = 2**256


@dataclass
class Inventory:
    """What a store holds: counts per kind and the checksum of its statement ids."""

    statements: int = 0
    voided: int = 0
    attachments: int = 0
    documents: int = 0
    credentials: int = 0
    people: int = 0
    activities: int = 0
    agents: int = 0
    checksum: str = field(default="0" * 64)

    def counts(self) -> dict[str, int]:
        """The counts by kind (everything but the checksum)."""
        return {k: v for k, v in asdict(self).items() if k != "checksum"}


def ids_checksum(ids: Iterable[str]) -> str:
    """Order-independent checksum of statement ids (hex, 64 digits)."""
    total = 0
    for sid in ids:
        total = (total + int.from_bytes(hashlib.sha256(sid.lower().encode()).digest())) % MOD
    return f"{total:064x}"


def inventory(store: Any, batch_size: int = 1000) -> Inventory:
    """Count everything ``store`` holds and checksum its statement ids."""
    inv = Inventory()
    ids: list[str] = []
    total = 0
    for batch in store.iter_since(0, batch_size):
        inv.statements += len(batch)
        inv.voided += sum(1 for r in batch if r.voided)
        ids = [r.id for r in batch]
        total = (total + int(ids_checksum(ids), 16)) % MOD
    inv.checksum = f"{total:064x}"
    inv.attachments = sum(1 for _ in store.iter_attachments())
    inv.documents = sum(1 for _ in store.iter_documents())
    inv.credentials = len(store.list_credentials())
    inv.people = len(store.list_people())
    inv.activities = sum(1 for _ in store.iter_activities())
    inv.agents = sum(1 for _ in store.iter_agents())
    return inv


def rebuilt(record: StatementRecord) -> StatementRecord:
    """A record ready for ``insert`` elsewhere: stored kept, index fields derived from the body."""
    body = record.body
    authority = body.get("authority")
    return StatementRecord(
        id=record.id,
        body=body,
        stored_us=record.stored_us,
        keys=statement_keys(body),
        ref_target=ref_target(body),
        voids=voided_target(body),
        authority_key=agent_key(authority) if isinstance(authority, dict) else None,
    )


def copy_statements(
    src: Any, dst: Any, batch_size: int = 500, progress: Callable[[int], None] | None = None
) -> int:
    """Copy statements (with the attachments they use) not yet in ``dst``; the number copied."""
    copied = 0
    for batch in src.iter_since(0, batch_size):
        present = dst.get_by_ids([r.id for r in batch])
        fresh = [rebuilt(r) for r in batch if r.id.lower() not in present]
        if fresh:
            hashes = [
                str(a.get("sha2", "")).lower()
                for r in fresh
                for a in r.body.get("attachments") or []
                if isinstance(a, dict)
            ]
            attachments: list[Attachment] = list(src.get_attachments(hashes).values())
            dst.insert(fresh, attachments)
            copied += len(fresh)
        if progress is not None:
            progress(len(batch))
    return copied


def copy_the_rest(src: Any, dst: Any, batch_size: int = 500) -> None:
    """Copy attachments, documents, credentials, people, Activities and Agents (idempotently)."""
    chunk: list[Attachment] = []
    for att in src.iter_attachments():
        chunk.append(att)
        if len(chunk) >= batch_size:
            dst.insert([], chunk)
            chunk = []
    if chunk:
        dst.insert([], chunk)
    for doc in src.iter_documents():
        dst.put_document(doc.scope, doc.document_id, doc.content, doc.content_type, doc.updated_us)
    for cred in src.list_credentials():
        if dst.get_credential(cred.key) is None:
            dst.add_credential(cred)
        if cred.revoked:
            dst.revoke_credential(cred.key)
    for person in src.list_people():  # sessions are not copied: everyone signs in again
        if dst.get_person(person.id) is None:
            dst.add_person(person)
    dst.upsert_activity_definitions(list(src.iter_activities()), may_define=True)
    for ifi, names in src.iter_agents():
        dst.record_agents([{**ifi, "name": n} for n in names] or [ifi])
