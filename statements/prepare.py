"""LRS-assigned statement properties (xAPI Data 2.4): id, stored, timestamp, authority, version.

Pure: the clock value arrives as an argument, so tests pin time.
"""

from __future__ import annotations

import uuid
from typing import Any

from statements.ifi import agent_key
from statements.indexing import ref_target, statement_keys, voided_target
from statements.store.base import StatementRecord
from statements.timefmt import format_us

DEFAULT_STATEMENT_VERSION = {"1.0.3": "1.0.0", "2.0.0": "2.0.0"}


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
    body = dict(statement)
    sid = statement_id or body.get("id") or str(uuid.uuid4())
    body["id"] = str(uuid.UUID(str(sid)))
    stored = format_us(now_us)
    body["stored"] = stored
    assigned = "timestamp" not in body
    body.setdefault("timestamp", stored)
    body["authority"] = authority
    body.setdefault("version", DEFAULT_STATEMENT_VERSION.get(api_version, "1.0.0"))
    hashes = tuple(
        str(att["sha2"]).lower() for att in body.get("attachments") or [] if isinstance(att, dict)
    )
    return StatementRecord(
        id=body["id"],
        body=body,
        stored_us=now_us,
        keys=statement_keys(body),
        ref_target=ref_target(body),
        voids=voided_target(body),
        authority_key=agent_key(authority),
        attachment_hashes=hashes,
        timestamp_assigned=assigned,
    )
