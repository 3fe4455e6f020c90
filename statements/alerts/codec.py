"""Turning subscriptions, events and outbox rows into plain dicts and back (both backends)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from statements.alerts.model import Event, OutboxItem, Subscription

_TUPLES = {f.name for f in fields(Subscription) if str(f.type).startswith("tuple")}


def sub_doc(sub: Subscription) -> dict[str, Any]:
    """A subscription as a JSON-able dict."""
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in sub.__dict__.items()}


def sub_from(doc: dict[str, Any]) -> Subscription:
    """A subscription from :func:`sub_doc` output (extra keys such as ``_id`` dropped)."""
    names = {f.name for f in fields(Subscription)}
    values: dict[str, Any] = {
        k: (tuple(v) if k in _TUPLES else v) for k, v in doc.items() if k in names
    }
    return Subscription(**values)


def event_doc(event: Event) -> dict[str, Any]:
    """An event as a JSON-able dict."""
    return dict(event.__dict__)


def event_from(doc: dict[str, Any]) -> Event:
    """An event from :func:`event_doc` output."""
    names = {f.name for f in fields(Event)}
    return Event(**{k: v for k, v in doc.items() if k in names})


def item_doc(item: OutboxItem) -> dict[str, Any]:
    """An outbox row as a JSON-able dict."""
    return dict(item.__dict__)


def item_from(doc: dict[str, Any]) -> OutboxItem:
    """An outbox row from :func:`item_doc` output."""
    names = {f.name for f in fields(OutboxItem)}
    return OutboxItem(**{k: v for k, v in doc.items() if k in names})
