"""The storage contract every backend implements (SQLite default, MongoDB).

Stores raise only domain errors from :mod:`statements.errors` (``Conflict``, ``BadRequest``,
``StoreUnavailable``); no driver exception crosses this boundary. The contract suite in
``tests/store/`` is written against these protocols, never against one backend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from statements.documents import UNCONDITIONAL, Document, DocumentIds, DocumentScope, Precondition
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
    timestamp_assigned: bool = False


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


@dataclass
class JsonPage:
    """A query page with each statement as the JSON text its store keeps, unparsed: what
    ``GET /statements`` sends for ``format=exact`` without attachments. ``last_stored_us`` is
    the newest ``stored`` of the page (None when empty)."""

    bodies: list[bytes] = field(default_factory=list)
    last_stored_us: int | None = None
    next_after: int | None = None
    snapshot_seq: int | None = None


def seq_bounds(
    query: StatementQuery, newest: Callable[[], int], stored_by: Callable[[int], int]
) -> tuple[int | None, int | None]:
    """since/until/cursor/snapshot → (exclusive low, inclusive high) ``seq`` bounds.

    ``newest()`` is the store's newest visible ``seq``; ``stored_by(us)`` its newest ``seq``
    stored at or before ``us`` (0 if none). Shared by both backends.
    """
    lo: int | None = None
    hi: int | None = query.snapshot_seq
    if hi is None:
        hi = newest()
    if query.since is not None:
        lo = stored_by(query.since)
    if query.until is not None:
        hi = min(hi or 0, stored_by(query.until))
    if query.after_seq is not None:
        if query.ascending:
            lo = max(lo or 0, query.after_seq)
        else:
            hi = min(hi if hi is not None else query.after_seq, query.after_seq - 1)
    return lo, hi


@dataclass
class Erasure:
    """What :meth:`ErasureStore.erase_agent` removed: the statement ids and counts per kind."""

    statement_ids: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


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
    expires: str | None = None
    last_used: str | None = None


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

    def iter_since(
        self, after_seq: int, batch_size: int = 10_000
    ) -> Iterator[list[StatementRecord]]:
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

    def rotate_credential(self, key: str, secret_hash: str, expires: str | None) -> bool:
        """Replace the secret hash and expiry (the old secret stops working); False if unknown."""

    def touch_credential(self, key: str, last_used: str) -> None:
        """Record when the credential was last used successfully."""


class ErasureStore(Protocol):
    """The right to be forgotten: remove everything the store holds about one agent."""

    def erase_agent(self, agent_key: str) -> Erasure:
        """Erase the agent (an :func:`statements.ifi.agent_key`) by the rule of ``SECURITY.md``.

        Removes, atomically where the backend allows: statements in which the agent appears
        (see :func:`statements.erasure.mentions`), then every statement that refers to an erased
        one (StatementRefs and voiding statements, transitively), their filter keys, attachments
        no remaining statement uses, the agent's State and Agent Profile documents and its
        Agents-resource record. Idempotent: a second call erases nothing.
        """


class DocumentStore(Protocol):
    """State, Activity Profile and Agent Profile documents (Communication 2.2-2.7).

    A document is addressed by a :class:`DocumentScope` and a document id. Writes take a
    :class:`Precondition` that the store checks against the current document *in the same
    transaction* as the write (so two clients racing with one If-Match cannot both win); it
    raises ``PreconditionFailed`` (412), ``Conflict`` (409) or ``BadRequest`` (400) and then
    changes nothing.
    """

    def get_document(self, scope: DocumentScope, document_id: str) -> Document | None:
        """The document, or None."""

    def put_document(
        self,
        scope: DocumentScope,
        document_id: str,
        content: bytes,
        content_type: str,
        updated_us: int,
        precondition: Precondition = UNCONDITIONAL,
    ) -> Document:
        """Create or replace the document (bytes and Content-Type kept exactly); return it."""

    def merge_document(
        self,
        scope: DocumentScope,
        document_id: str,
        content: bytes,
        content_type: str,
        updated_us: int,
        precondition: Precondition = UNCONDITIONAL,
    ) -> Document:
        """POST: store as new when absent, else :func:`statements.documents.merge_json` into it.

        Raises ``BadRequest`` (nothing stored) when the stored or posted document is not a JSON
        object with Content-Type ``application/json``.
        """

    def delete_document(
        self, scope: DocumentScope, document_id: str, precondition: Precondition = UNCONDITIONAL
    ) -> bool:
        """Delete the document; False when there was none (still checking ``precondition``)."""

    def list_document_ids(self, scope: DocumentScope, since_us: int | None = None) -> DocumentIds:
        """Ids in the scope updated after ``since_us`` (exclusive), oldest update first.

        For State, ``scope.registration`` None lists the documents of every registration.
        """

    def delete_documents(self, scope: DocumentScope) -> int:
        """Delete every State document of the scope (registration None: of every registration)."""


class ActivityAgentStore(Protocol):
    """What the LRS learns from statements for the Activities and Agents resources."""

    def get_activity(self, activity_id: str) -> dict[str, Any] | None:
        """The canonical Activity object (``objectType``, ``id``, ``definition``), or None."""

    def upsert_activity_definitions(
        self, activities: Sequence[dict[str, Any]], may_define: bool
    ) -> None:
        """Fold Activity objects seen in statements into the canonical ones, in order, atomically.

        Uses :func:`statements.documents.merge_activity`: the first definition is kept unless
        ``may_define`` (the credential has ``define``), when later ones are merged in.
        """

    def record_agents(self, agents: Sequence[dict[str, Any]]) -> None:
        """Remember the IFI and ``name`` of Agents / identified Groups seen in statements."""

    def get_agent_person(self, agent_key: str) -> dict[str, Any] | None:
        """The Person object (:func:`statements.documents.person_from`) for the key, or None."""
