"""The storage contract every backend implements (SQLite default, MongoDB).

Stores raise only domain errors from :mod:`statements.errors` (``Conflict``, ``BadRequest``,
``StoreUnavailable``); no driver exception crosses this boundary. The contract suite in
``tests/store/`` is written against these protocols, never against one backend.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from statements.query import StatementQuery


@dataclass
class StatementRecord:
    """A prepared statement as a store keeps it.

    ``body`` is the full statement as the LRS returns it (with ``stored``, ``authority``,
    ``version``). ``keys`` are the filter keys of :mod:`statements.indexing`; ``ref_target`` is
    the id a StatementRef object points at; ``voids`` the id a voiding statement voids.
    ``stored_us`` is ``stored`` as microseconds since the epoch; a store may raise it (never
    lower it) so that ``stored`` never decreases in insertion order, and then rewrites
    ``body["stored"]`` to match.
    """

    id: str
    body: dict[str, Any]
    stored_us: int
    keys: frozenset[tuple[str, str]] = frozenset()
    ref_target: str | None = None
    voids: str | None = None
    authority_key: str | None = None
    attachment_hashes: tuple[str, ...] = ()
    voided: bool = False
    seq: int = 0


@dataclass(frozen=True)
class Attachment:
    """Raw attachment bytes, stored once per SHA-256 hash."""

    sha2: str
    content_type: str
    content: bytes


@dataclass
class Page:
    """One page of a statement query; ``next_after`` is the cursor for the next page or None."""

    records: list[StatementRecord] = field(default_factory=list)
    next_after: int | None = None
    snapshot_seq: int | None = None


@dataclass(frozen=True)
class Credential:
    """An API credential: HTTP Basic key, hashed secret, scopes and the authority agent."""

    key: str
    secret_hash: str
    name: str
    scopes: tuple[str, ...]
    authority: dict[str, Any]
    created: str
    revoked: bool = False


class StatementStore(Protocol):
    """Statements and their attachments."""

    def init(self) -> None:
        """Create tables/collections and indexes; idempotent."""

    def close(self) -> None:
        """Release connections."""

    def get_by_ids(self, ids: Sequence[str]) -> dict[str, StatementRecord]:
        """Stored records (voided or not) for those ids that exist."""

    def insert(self, records: Sequence[StatementRecord], attachments: Sequence[Attachment]) -> None:
        """Store all records and attachments atomically, or nothing.

        Raises ``Conflict`` if any id already exists and ``BadRequest`` if a voiding statement
        targets a voiding statement. Applies voiding (a stored voiding statement marks its
        target voided, also when the target arrives later) and propagates filter keys along
        StatementRef chains.
        """

    def query(self, query: StatementQuery) -> Page:
        """Non-voided statements matching ``query`` in ``stored`` order, one page."""

    def get_attachments(self, hashes: Sequence[str]) -> dict[str, Attachment]:
        """Attachments by SHA-256 hash."""

    def iter_since(self, after_seq: int, batch_size: int = 10_000) -> Iterator[list[StatementRecord]]:
        """Every statement (voided included) with ``seq > after_seq`` in order, in batches."""


class CredentialStore(Protocol):
    """API credentials."""

    def add_credential(self, credential: Credential) -> None:
        """Store a new credential; ``Conflict`` if the key exists."""

    def get_credential(self, key: str) -> Credential | None:
        """The credential with this key, revoked or not."""

    def list_credentials(self) -> list[Credential]:
        """All credentials, oldest first."""

    def revoke_credential(self, key: str) -> bool:
        """Mark a credential revoked; False if no such key."""
