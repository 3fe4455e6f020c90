"""Erasing one agent from the SQLite store, in one write transaction (see ``SECURITY.md``).

Candidates come from the ``related_agent`` filter keys (an index range of ``key_rows``);
:func:`mentions` then applies the rule exactly (the keys also hold the authority and keys
copied from StatementRef targets). Referring statements are found through ``ref_target``,
transitively.
"""

from __future__ import annotations

import json
import sqlite3

from statements.documents import AGENT_PROFILE, STATE
from statements.erasure import mentions
from statements.store.base import Erasure
from statements.store.sqlite import keys as sqlite_keys
from statements.store.sqlite.documents import SQLiteDocuments


def _statement_ids(conn: sqlite3.Connection, agent_key: str) -> list[str]:
    rows = sqlite_keys.agent_statements(conn, agent_key)
    direct = [sid for sid, body in rows if mentions(json.loads(body), agent_key)]
    found = dict.fromkeys(direct)
    frontier = list(direct)
    while frontier:
        marks = ",".join("?" * len(frontier[:500]))
        referring = conn.execute(
            f"SELECT id FROM statements WHERE ref_target IN ({marks})", frontier[:500]
        ).fetchall()
        frontier = frontier[500:]
        for (sid,) in referring:
            if sid not in found:
                found[sid] = None
                frontier.append(sid)
    return list(found)


def _attachment_hashes(conn: sqlite3.Connection, ids: list[str]) -> set[str]:
    hashes: set[str] = set()
    for sid in ids:
        (body,) = conn.execute("SELECT body FROM statements WHERE id = ?", (sid,)).fetchone()
        for att in json.loads(body).get("attachments") or []:
            if isinstance(att, dict) and isinstance(att.get("sha2"), str):
                hashes.add(att["sha2"])
    return hashes


def erase_in(conn: sqlite3.Connection, agent_key: str) -> Erasure:
    """Erase the agent inside an open write transaction on ``conn``."""
    ids = _statement_ids(conn, agent_key)
    hashes = _attachment_hashes(conn, ids)
    counts = {"statements": 0, "attachments": 0, "documents": 0, "agents": 0}
    sqlite_keys.delete_keys(conn, ids)  # from the bodies: before any statement goes
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        counts["statements"] += conn.execute(
            f"DELETE FROM statements WHERE id IN ({marks})", chunk
        ).rowcount
    sqlite_keys.forget_agent(conn, agent_key)
    for sha in sorted(hashes):
        still_used = conn.execute(
            "SELECT 1 FROM statements WHERE instr(body, ?) > 0 LIMIT 1", (sha,)
        ).fetchone()
        if still_used is None:
            counts["attachments"] += conn.execute(
                "DELETE FROM attachments WHERE sha2 = ?", (sha,)
            ).rowcount
    counts["documents"] = conn.execute(
        "DELETE FROM documents WHERE agent_key = ? AND kind IN (?, ?)",
        (agent_key, STATE, AGENT_PROFILE),
    ).rowcount
    conn.execute("DELETE FROM agent_names WHERE agent_key = ?", (agent_key,))
    counts["agents"] = conn.execute("DELETE FROM agents WHERE agent_key = ?", (agent_key,)).rowcount
    return Erasure(statement_ids=ids, counts=counts)


class SQLiteErasure(SQLiteDocuments):
    """``erase_agent`` for :class:`statements.store.sqlite.SQLiteStore` (one transaction)."""

    def erase_agent(self, agent_key: str) -> Erasure:
        """Erase the agent's statements, referring statements, documents and record."""
        return self._doc_write(lambda conn: erase_in(conn, agent_key))
