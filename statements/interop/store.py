""":func:`interop_store`: the forwarding/provenance tables beside a statement store."""

from __future__ import annotations

from typing import Any


def interop_store(store: Any) -> Any:
    """A :class:`SQLiteForward` or :class:`MongoForward` over ``store``, initialised."""
    from statements.store.sqlite import SQLiteStore

    if isinstance(store, SQLiteStore):
        from statements.interop.sqlite_forward import SQLiteForward

        found: Any = SQLiteForward(store)
    else:
        from statements.interop.mongo_forward import MongoForward

        found = MongoForward(store)
    found.init()
    return found
