""":func:`alerts_store`: the alert tables beside a statement store."""

from __future__ import annotations

from typing import Any


def alerts_store(store: Any) -> Any:
    """A :class:`SQLiteAlerts` or :class:`MongoAlerts` over ``store``, initialised."""
    from statements.store.sqlite import SQLiteStore

    if isinstance(store, SQLiteStore):
        from statements.alerts.sqlite_alerts import SQLiteAlerts

        found: Any = SQLiteAlerts(store)
    else:
        from statements.alerts.mongo_alerts import MongoAlerts

        found = MongoAlerts(store)
    found.init()
    return found
