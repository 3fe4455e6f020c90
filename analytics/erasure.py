"""The right to be forgotten across the store and the warehouse (one call, counts returned).

:func:`erase_agent` erases every IFI key of the agent (:func:`statements.erasure.erasure_keys`:
an ``mbox`` also erases its ``mbox_sha1sum``) from the store, then deletes in place, in one
atomic warehouse write, the ``statements_all`` rows of the erased statements and of the agent's
pseudonyms, and the admin-only ``identity.actor_ifi`` / ``identity.identity_map`` rows of the
agent and of anonymous Groups it belonged to. Deleting in place (rather than a full refresh)
keeps the warehouse's imports and watermark; the erased statements are gone from the store, so
no later refresh brings them back. Parquet exports written before the erasure are out of reach.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from analytics.pseudonym import actor_key
from analytics.warehouse import Warehouse
from statements.erasure import erasure_keys
from statements.errors import BadRequest, FieldError

STORE_COUNTS = ("statements", "attachments", "documents", "agents")


@dataclass
class ErasureReport:
    """What one erasure removed; ``pseudonyms`` name the agent without identifying it."""

    pseudonyms: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready rendering (also the audit entry's detail)."""
        return {"pseudonyms": self.pseudonyms, "counts": self.counts}


def agent_keys(agent: Any) -> list[str]:
    """The IFI keys to erase for ``agent``; ``BadRequest`` unless it is an identified Agent."""
    keys = erasure_keys(agent) if isinstance(agent, Mapping) else []
    if not keys:
        raise BadRequest(
            "agent must be an Agent object with one IFI (mbox, mbox_sha1sum, openid or account)",
            [FieldError("agent", "ifi", "no inverse functional identifier found")],
        )
    return keys


def erase_agent(
    store: Any, warehouse: Warehouse | None, secret: bytes, agent: Any
) -> ErasureReport:
    """Erase ``agent`` from the store and (when built) the warehouse; return the counts."""
    keys = agent_keys(agent)
    counts = dict.fromkeys(STORE_COUNTS, 0)
    erased_ids: list[str] = []
    for key in keys:
        result = store.erase_agent(key)
        erased_ids.extend(result.statement_ids)
        for name, value in result.counts.items():
            counts[name] = counts.get(name, 0) + value
    pseudonyms = [actor_key(secret, key) for key in keys]
    counts.update(warehouse_rows=0, identity_rows=0)
    if warehouse is not None and warehouse.exists():
        counts.update(_erase_warehouse(warehouse, keys, pseudonyms, erased_ids))
    return ErasureReport(pseudonyms, counts)


# Anonymous Groups are named ``group:<member IFI>,<member IFI>…`` (analytics.flatten.identity_of).
GROUP_PSEUDONYMS = """
SELECT actor_key FROM identity.actor_ifi
WHERE starts_with(ifi, 'group:') AND list_has_any(string_split(ifi[7:], ','), ?)
"""


def _erase_warehouse(
    warehouse: Warehouse, keys: list[str], pseudonyms: list[str], ids: list[str]
) -> dict[str, int]:
    with warehouse.write() as conn:
        groups = [r[0] for r in conn.execute(GROUP_PSEUDONYMS, [keys]).fetchall()]
        actors = pseudonyms + groups
        row = conn.execute(
            "DELETE FROM statements_all WHERE list_contains(?, actor_key) "
            "OR list_contains(?, statement_id)",
            [actors, [i.lower() for i in ids]],
        ).fetchone()
        rows = int(row[0]) if row else 0
        identity = 0
        for table in ("identity.actor_ifi", "identity.identity_map"):
            got = conn.execute(
                f"DELETE FROM {table} WHERE list_contains(?, actor_key)", [actors]
            ).fetchone()
            identity += int(got[0]) if got else 0
    return {"warehouse_rows": rows, "identity_rows": identity}
