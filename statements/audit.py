"""The tamper-evident audit log: each entry is chained to the previous one by a SHA-256 hash.

Pure: stores persist :class:`AuditEntry` rows append-only; :func:`verify_chain` proves that no
entry was altered, removed or reordered since it was written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    """One audited action: who (credential key), what, when (epoch µs), details, chain hashes."""

    seq: int
    at_us: int
    actor: str
    action: str
    detail: dict[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS
    hash: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "seq": self.seq,
            "at_us": self.at_us,
            "actor": self.actor,
            "action": self.action,
            "detail": self.detail,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def entry_hash(prev_hash: str, seq: int, at_us: int, actor: str, action: str, detail: Any) -> str:
    """The hash that chains an entry to its predecessor."""
    canonical = json.dumps(
        [prev_hash, seq, at_us, actor, action, detail], sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def chained(
    prev: AuditEntry | None, at_us: int, actor: str, action: str, detail: Any
) -> AuditEntry:
    """The next entry after ``prev`` (None for the first)."""
    seq = (prev.seq if prev else 0) + 1
    prev_hash = prev.hash if prev else GENESIS
    digest = entry_hash(prev_hash, seq, at_us, actor, action, detail)
    return AuditEntry(seq, at_us, actor, action, dict(detail), prev_hash, digest)


def verify_chain(entries: Iterable[AuditEntry]) -> int | None:
    """The seq of the first entry that breaks the chain, or None when the log is intact."""
    prev_hash = GENESIS
    expected_seq = 1
    for entry in entries:
        recomputed = entry_hash(
            entry.prev_hash, entry.seq, entry.at_us, entry.actor, entry.action, entry.detail
        )
        if entry.seq != expected_seq or entry.prev_hash != prev_hash or entry.hash != recomputed:
            return entry.seq
        prev_hash = entry.hash
        expected_seq += 1
    return None
