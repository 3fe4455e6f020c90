"""Sending statements to another LRS, idempotently by statement id.

A batch is POSTed (``multipart/mixed`` when stored attachment parts go with it). When the
target answers 409 or 400 for the batch, each statement is PUT on its own under its id: 204 or
409 (the id is already there) counts as delivered, another 4xx refuses that statement alone
(it goes to the dead-letter list at once). Anything else — no answer, 5xx, 401/403, 429 — is a
transient failure of the whole batch, retried with backoff.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lrs.interop.client import Reply, XapiClient
from lrs.interop.importer import attachment_hashes
from lrs.multipart import build_multipart
from statements.store.base import Attachment, StatementRecord

# Properties the sending LRS set for itself; the target sets its own.
LRS_OWNED = ("stored", "authority")
TRANSIENT_4XX = {401, 403, 404, 408, 425, 429}


class DeliveryFailed(Exception):
    """A transient failure: nothing of the batch may be taken as delivered."""


@dataclass
class Outcome:
    """What became of a batch: delivered ids and ids refused by the target (with why)."""

    delivered: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def outgoing(body: dict[str, Any]) -> dict[str, Any]:
    """The statement as sent: without the properties this LRS set for itself."""
    return {k: v for k, v in body.items() if k not in LRS_OWNED}


def _payload(document: Any, parts: Sequence[Attachment]) -> tuple[bytes, str]:
    raw = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if parts:
        return build_multipart(raw, list(parts))
    return raw, "application/json"


def _parts(bodies: Sequence[dict[str, Any]], found: dict[str, Attachment]) -> list[Attachment]:
    wanted = dict.fromkeys(h for b in bodies for h in attachment_hashes(b))
    return [found[h] for h in wanted if h in found]


def deliver(client: XapiClient, records: Sequence[StatementRecord], store: Any) -> Outcome:
    """Send ``records`` (raises :class:`DeliveryFailed` on a transient failure)."""
    if not records:
        return Outcome()
    bodies = [outgoing(r.body) for r in records]
    hashes = [h for b in bodies for h in attachment_hashes(b)]
    found: dict[str, Attachment] = store.get_attachments(hashes) if hashes else {}
    raw, ctype = _payload(bodies, _parts(bodies, found))
    reply = client.request("POST", client.url("statements"), raw, ctype)
    if reply.status in (200, 204):
        return Outcome(delivered=[r.id for r in records])
    if reply.status in (400, 409, 413):
        return _one_by_one(client, records, bodies, found)
    raise DeliveryFailed(reply.snippet())


def _one_by_one(
    client: XapiClient,
    records: Sequence[StatementRecord],
    bodies: Sequence[dict[str, Any]],
    found: dict[str, Attachment],
) -> Outcome:
    out = Outcome()
    for rec, body in zip(records, bodies, strict=True):
        raw, ctype = _payload(body, _parts([body], found))
        reply: Reply = client.request(
            "PUT", client.url("statements", {"statementId": rec.id}), raw, ctype
        )
        if reply.status in (200, 204, 409):
            out.delivered.append(rec.id)
        elif 400 <= reply.status < 500 and reply.status not in TRANSIENT_4XX:
            out.refused.append((rec.id, reply.snippet()))
        else:
            raise DeliveryFailed(reply.snippet())
    return out
