"""LRS-assigned statement properties (xAPI Data 2.4): id, stored, timestamp, authority, version.

Pure: the clock value arrives as an argument, so tests pin time.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from statements.ifi import agent_key
from statements.indexing import agent_keys, ref_target, statement_keys, voided_target
from statements.store.base import StatementRecord
from statements.timefmt import format_us

DEFAULT_STATEMENT_VERSION = {"1.0.3": "1.0.0", "2.0.0": "2.0.0"}
# The form ``str(uuid.UUID(x))`` gives: such an id is kept as it is (no UUID object built).
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class BatchContext:
    """What ``prepare`` sets identically on every statement of one request, computed once."""

    authority: dict[str, Any]
    authority_key: str | None
    authority_keys: tuple[str, ...]  # its related_agent keys (statements.indexing.agent_keys)
    stored: str
    now_us: int
    default_version: str

    @classmethod
    def of(cls, authority: dict[str, Any], api_version: str, now_us: int) -> BatchContext:
        """The context of a request with this authority, API version and clock value."""
        return cls(
            authority=authority,
            authority_key=agent_key(authority),
            authority_keys=tuple(agent_keys(authority)),
            stored=format_us(now_us),
            now_us=now_us,
            default_version=DEFAULT_STATEMENT_VERSION.get(api_version, "1.0.0"),
        )


def canonical_id(value: object) -> str:
    """The canonical (lower-case, hyphenated) text of a statement id; ValueError if not a UUID."""
    if isinstance(value, str) and _CANONICAL_UUID.fullmatch(value):
        return value
    return str(uuid.UUID(str(value)))


def prepare(
    statement: dict[str, Any],
    *,
    authority: dict[str, Any],
    api_version: str,
    now_us: int,
    statement_id: str | None = None,
) -> StatementRecord:
    """Complete a validated statement with the properties the LRS sets and build its record.

    ``statement_id`` is the id from a PUT's ``statementId`` parameter; the body's own id, if
    any, must equal it (checked by the caller).
    """
    return prepare_in(statement, BatchContext.of(authority, api_version, now_us), statement_id)


def prepare_in(
    statement: dict[str, Any], batch: BatchContext, statement_id: str | None = None
) -> StatementRecord:
    """:func:`prepare` with the per-request values already computed (``BatchContext.of``)."""
    body = dict(statement)
    sid = statement_id or body.get("id") or str(uuid.uuid4())
    body["id"] = canonical_id(sid)
    stored = batch.stored
    body["stored"] = stored
    assigned = "timestamp" not in body
    body.setdefault("timestamp", stored)
    body["authority"] = batch.authority
    body.setdefault("version", batch.default_version)
    hashes = tuple(
        str(att["sha2"]).lower() for att in body.get("attachments") or [] if isinstance(att, dict)
    )
    return StatementRecord(
        id=body["id"],
        body=body,
        stored_us=batch.now_us,
        keys=statement_keys(body, batch.authority_keys),
        ref_target=ref_target(body),
        voids=voided_target(body),
        authority_key=batch.authority_key,
        attachment_hashes=hashes,
        timestamp_assigned=assigned,
    )
