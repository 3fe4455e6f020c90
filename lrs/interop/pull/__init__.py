"""Pull-import from any conformant LRS: crawl ``GET /statements`` and its ``more`` links.

Pages are requested oldest first (``ascending=true``) with ``attachments=true``; each page's
statements — and, for every voiding statement among them, the voided statement it targets
(``voidedStatementId``), which a plain query never returns — are stored through
:class:`lrs.interop.importer.Importer`. After every stored page a checkpoint (the next ``more``
link and the running counts) is written atomically, so a killed pull resumes at the page
it was on; a page stored twice is a no-op (identical statements).

Verification: the count and id checksum (:func:`statements.store.migrate.ids_checksum`) of
every statement the source served are compared with those of the same ids found here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrs.interop.checkpoint import JsonCheckpoint
from lrs.interop.client import Reply, XapiClient
from lrs.interop.importer import Importer, Rejected
from lrs.multipart import parse_multipart
from statements.store.base import Attachment
from statements.store.migrate import MOD, ids_checksum

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


class PullError(Exception):
    """The source answered something a pull cannot go on from."""


@dataclass
class PullState(JsonCheckpoint):
    """The checkpoint: where to go on, and the counts so far."""

    next_url: str | None = None
    done: bool = False
    pages: int = 0
    listed: int = 0
    source_checksum: str = "0" * 64
    found: int = 0
    local_checksum: str = "0" * 64
    stored: int = 0
    existing: int = 0
    refused: int = 0
    first_seq: int | None = None

    @property
    def verified(self) -> bool:
        """Every statement the source served is here."""
        return self.listed == self.found and self.source_checksum == self.local_checksum


def _add(checksum: str, ids: list[str]) -> str:
    return f"{(int(checksum, 16) + int(ids_checksum(ids), 16)) % MOD:064x}"


def read_result(reply: Reply) -> tuple[Any, dict[str, Attachment]]:
    """The JSON document of a statements answer and its attachment parts by hash."""
    if reply.status != 200:
        raise PullError(reply.snippet())
    if reply.content_type.lower().startswith("multipart/mixed"):
        payload, parts = parse_multipart(reply.body, reply.content_type)
        return payload, {p.sha2: p for p in parts}
    return reply.json(), {}


class Puller:
    """One pull from ``client`` into the importer's store."""

    def __init__(
        self,
        client: XapiClient,
        importer: Importer,
        checkpoint: Path | None,
        on_bad: Callable[[Rejected], None],
        progress: Callable[[PullState], None] | None = None,
    ) -> None:
        self.client, self.importer, self.checkpoint = client, importer, checkpoint
        self.on_bad, self.progress = on_bad, progress
        self.state = PullState.load(checkpoint)

    def first_url(self, params: dict[str, str], page_size: int) -> str:
        """The first page's URL for the query ``params``."""
        query = {**params, "ascending": "true", "attachments": "true", "limit": str(page_size)}
        return self.client.url("statements", query)

    def run(self, params: dict[str, str], page_size: int = 500) -> PullState:
        """Crawl to the end (or resume); returns the final state."""
        if self.state.done:  # a finished pull whose verification failed: start over
            self.state = PullState()
        st = self.state
        if st.first_seq is None:
            st.first_seq = self.importer.interop.max_seq()
        self.importer.stored, self.importer.existing = st.stored, st.existing
        url = st.next_url or self.first_url(params, page_size)
        while not st.done:
            payload, parts = read_result(self.client.request("GET", url))
            statements = list(payload.get("statements") or [])
            statements += self._voided_targets(statements, parts)
            self._store_page(statements, parts)
            more = payload.get("more") or ""
            st.pages += 1
            st.done = not more
            st.next_url = self.client.url(more) if more else None
            st.stored, st.existing = self.importer.stored, self.importer.existing
            st.save(self.checkpoint)
            if self.progress is not None:
                self.progress(st)
            url = st.next_url or ""
        return st

    def _voided_targets(
        self, statements: list[dict[str, Any]], parts: dict[str, Attachment]
    ) -> list[dict[str, Any]]:
        """The statements voided by voiding statements of this page that are not here yet."""
        targets = [
            str(s["object"]["id"]).lower()
            for s in statements
            if (s.get("verb") or {}).get("id") == VOIDED
            and isinstance(s.get("object"), dict)
            and s["object"].get("objectType") == "StatementRef"
        ]
        if not targets:
            return []
        here = self.importer.store.get_by_ids(targets)
        out = []
        for target in targets:
            if target in here:
                continue
            url = self.client.url(
                "statements", {"voidedStatementId": target, "attachments": "true"}
            )
            reply = self.client.request("GET", url)
            if reply.status == 404:
                continue  # the source does not have it (voided before it arrived, or erased)
            body, more_parts = read_result(reply)
            parts.update(more_parts)
            out.append(body)
        return out

    def _store_page(self, statements: list[dict[str, Any]], parts: dict[str, Attachment]) -> None:
        st = self.state
        items = list(enumerate(statements, start=st.listed + 1))
        for bad in self.importer.add(items, parts.get):
            self.on_bad(bad)
            st.refused += 1
        ids = [str(s.get("id", "")).lower() for s in statements if s.get("id")]
        st.listed += len(ids)
        st.source_checksum = _add(st.source_checksum, ids)
        here = sorted(self.importer.store.get_by_ids(ids))
        st.found += len(here)
        st.local_checksum = _add(st.local_checksum, here)
