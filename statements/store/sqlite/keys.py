"""Interned filter keys on SQLite: writing a batch's key rows, StatementRef copies, query
clauses, and the migration of version-0 stores (text ``statement_keys``).

See :mod:`statements.store.sqlite.schema` for the tables: a statement's rows are in
``key_tail`` while its ``seq`` is above ``key_split.seq``, in ``key_rows`` once
:func:`merge_tail` moved them; registrations, never interned, likewise in ``reg_tail`` then
``reg_rows`` (bucketed by :func:`reg_bucket`). Every function here runs on a connection the
caller holds (inside its write transaction for the writers).
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from statements.indexing import KIND_BITS, statement_keys
from statements.store.base import StatementRecord
from statements.store.sqlite.schema import KEY_EPOCH_TRIGGER, STORE_VERSION

CHUNK = 500
_UPSERT = " ON CONFLICT (kid, seq) DO UPDATE SET flags = flags | excluded.flags"
_TAIL_UPSERT = " ON CONFLICT (seq, kid) DO UPDATE SET flags = flags | excluded.flags"
#: Statements whose key rows wait in ``key_tail`` before :func:`merge_tail` moves them. Bigger
#: makes each move cheaper per statement (more new rows per ``key_rows`` page) and the tail
#: part of a filtered query dearer (it scans the tail in ``seq`` order). At 1M stored, 8,192
#: rather than 4,096 cut the WAL frames per statement from 2.99 to 2.55 (``bench.wal_pages``),
#: and a full tail (about 50,000 rows) costs an agent filter with no recent match about 3 ms.
TAIL_STATEMENTS = 8192
#: The registration family of :data:`statements.indexing.KIND_BITS` (postings in ``reg_*``).
REG_FAMILY = KIND_BITS["registration"][0]
#: Buckets of ``reg_rows``. More makes a move dirty more pages (one per bucket it touches);
#: fewer makes a registration filter scan more postings (1/1024 of them: about 10,000 rows of
#: 50 bytes at 10M statements). Part of the stored layout: changing it needs a migration.
REG_BUCKETS = 1024


def reg_bucket(value: str) -> int:
    """The ``reg_rows`` bucket of a (lower-cased) registration: CRC-32 of its UTF-8, mod 1024.

    Stable across processes and versions (not Python's salted ``hash``), and spread evenly
    whatever the UUID version (v1 and v7 UUIDs share long runs of digits).
    """
    return zlib.crc32(value.encode("utf-8")) & (REG_BUCKETS - 1)


def _packed(keys: Iterable[tuple[str, str]]) -> tuple[dict[tuple[int, str], int], list[str]]:
    """A statement's filter keys as ({(family, value): flag bits} to intern, registration
    values), in one pass (see :data:`statements.indexing.KIND_BITS`)."""
    packed: dict[tuple[int, str], int] = {}
    regs: list[str] = []
    for kind, value in keys:
        family, bit = KIND_BITS[kind]
        if family == REG_FAMILY:
            regs.append(value)
        else:
            packed[(family, value)] = packed.get((family, value), 0) | bit
    return packed, regs


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def lookup(
    conn: sqlite3.Connection, pairs: Iterable[tuple[int, str]]
) -> dict[tuple[int, str], int]:
    """Interned ids of the (family, value) pairs that have one: one IN query per family."""
    by_family: dict[int, list[str]] = {}
    for family, value in pairs:
        by_family.setdefault(family, []).append(value)
    found: dict[tuple[int, str], int] = {}
    for family, values in by_family.items():
        for chunk in _chunks(values):
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT value, kid FROM key_names WHERE family = ? AND value IN ({marks})",
                [family, *chunk],
            ).fetchall()
            found.update(((family, value), kid) for value, kid in rows)
    return found


def intern(
    conn: sqlite3.Connection,
    pairs: set[tuple[int, str]],
    known: Mapping[tuple[int, str], int] | None = None,
) -> dict[tuple[int, str], int]:
    """Ids for every pair, creating the missing ones (inside the write transaction).

    ``known`` holds ids valid in this transaction (a :class:`KidCache`): those pairs cost no
    query. The others are inserted with ids ``MAX(kid) + 1 …`` (the caller holds the write
    lock) and ``ON CONFLICT DO NOTHING``; if every row went in, no lookup is needed at all.
    """
    ids: dict[tuple[int, str], int] = {}
    ask: list[tuple[int, str]] = list(pairs)
    if known:
        ids = {p: known[p] for p in pairs if p in known}
        ask = [p for p in pairs if p not in ids]
    if not ask:
        return ids
    # Optimistic: most values the cache does not know are new (registrations), so insert them
    # all with ids of our own choosing; only when some were already stored (fewer rows went
    # in) are the ids looked up, and then the lookup is the truth for every one of them.
    top = int(conn.execute("SELECT MAX(kid) FROM key_names").fetchone()[0] or 0)
    new = {pair: top + n for n, pair in enumerate(ask, start=1)}
    inserted = conn.executemany(
        "INSERT INTO key_names (kid, family, value) VALUES (?, ?, ?)"
        " ON CONFLICT (family, value) DO NOTHING",
        [(kid, family, value) for (family, value), kid in new.items()],
    ).rowcount
    if inserted == len(ask):
        ids.update(new)
    else:
        ids.update(lookup(conn, ask))
    return ids


class KidCache:
    """Interned ids this process's statement writer saw committed: known keys cost no SELECT.

    Valid while no ``key_names`` row was deleted: :meth:`begin` (inside each write
    transaction) compares ``MAX(key_epoch.n)`` with the value it last saw and forgets
    everything when it moved (an erasure in any process). Ids enter only through
    :meth:`commit`, after the transaction that used them committed, so a rolled-back batch
    leaves nothing behind. Bounded: cleared wholesale past ``limit`` entries.
    """

    def __init__(self, limit: int = 32_768) -> None:
        self.limit = limit
        self.known: dict[tuple[int, str], int] = {}
        self._epoch: int | None = None

    def begin(self, conn: sqlite3.Connection) -> None:
        """Start of a write transaction: drop the cache if a key name was deleted since."""
        try:
            epoch = int(conn.execute("SELECT COALESCE(MAX(n), 0) FROM key_epoch").fetchone()[0])
        except sqlite3.Error:  # a store whose schema predates key_epoch: no caching
            epoch = None
        if epoch is None or epoch != self._epoch:
            self.known.clear()
        self._epoch = epoch

    def commit(self, ids: Mapping[tuple[int, str], int]) -> None:
        """Remember ids that a committed transaction used."""
        if self._epoch is None or not ids:
            return
        if len(self.known) + len(ids) > self.limit:
            self.known.clear()
        self.known.update(ids)


def write_keys(
    conn: sqlite3.Connection,
    records: Sequence[StatementRecord],
    known: Mapping[tuple[int, str], int] | None = None,
) -> dict[tuple[int, str], int]:
    """Insert every record's own key rows: one intern pass and one ``executemany``.

    Returns the ids used (for :meth:`KidCache.commit` once the transaction commits).
    """
    split = [_packed(rec.keys) for rec in records]
    packed = [own for own, _values in split]
    regs = [
        (rec.seq, v) for rec, (_own, values) in zip(records, split, strict=True) for v in values
    ]
    ids = intern(conn, {pair for own in packed for pair in own}, known)
    rows = [
        (ids[pair], rec.seq, flags)
        for rec, own in zip(records, packed, strict=True)
        for pair, flags in own.items()
    ]
    conn.executemany("INSERT INTO key_tail (kid, seq, flags) VALUES (?, ?, ?)", rows)
    if regs:
        conn.executemany(
            "INSERT INTO reg_tail (seq, value) VALUES (?, ?) ON CONFLICT DO NOTHING", regs
        )
    return ids


def split_seq(conn: sqlite3.Connection) -> int:
    """``key_split.seq``: key rows of statements at or below it are in ``key_rows``."""
    row = conn.execute("SELECT seq FROM key_split").fetchone()
    if row is None:
        raise sqlite3.OperationalError("key_split has no row: run `lrs init` on this store")
    return int(row[0])


def merge_tail(conn: sqlite3.Connection, top_seq: int, tail: int = TAIL_STATEMENTS) -> bool:
    """Move the tail into ``key_rows`` when it holds ``tail`` statements or more (up to
    ``top_seq``, the newest stored ``seq``); True when it moved. Inside the write transaction.

    The rows go in sorted by (kid, seq), so each key range takes all its new rows at once: one
    page write per range instead of one per row; registrations go to the ends of their
    ``reg_rows`` buckets the same way.
    """
    split = split_seq(conn)
    if top_seq - split < max(tail, 1):
        return False
    # ON CONFLICT: rows a version-1 writer put in key_rows above the split (during an upgrade)
    # fold into the moved ones instead of failing every later write.
    conn.execute(
        "INSERT INTO key_rows (kid, seq, flags) SELECT kid, seq, flags FROM key_tail"
        " WHERE seq <= ? ORDER BY kid, seq" + _UPSERT,
        (top_seq,),
    )
    conn.execute("DELETE FROM key_tail WHERE seq <= ?", (top_seq,))
    regs = conn.execute("SELECT seq, value FROM reg_tail WHERE seq <= ?", (top_seq,)).fetchall()
    if regs:
        conn.executemany(
            "INSERT INTO reg_rows (bucket, seq, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            sorted((reg_bucket(value), seq, value) for seq, value in regs),
        )
        conn.execute("DELETE FROM reg_tail WHERE seq <= ?", (top_seq,))
    conn.execute("UPDATE key_split SET seq = ?", (top_seq,))
    return True


def chain_keys(conn: sqlite3.Connection, target_id: str) -> frozenset[tuple[str, str]]:
    """The keys a statement carries: its own and those of the StatementRef chain below it.

    Derived from the stored bodies (``id`` index lookups), which is what the key rows of the
    statement hold, so no index on ``key_rows.seq`` is needed.
    """
    keys: set[tuple[str, str]] = set()
    seen: set[str] = set()
    sid: str | None = target_id
    while sid is not None and sid not in seen:
        seen.add(sid)
        row = conn.execute(
            "SELECT body, ref_target FROM statements WHERE id = ?", (sid,)
        ).fetchone()
        if row is None:
            break
        keys |= statement_keys(json.loads(row[0]))
        sid = row[1]
    return frozenset(keys)


def add_keys(
    conn: sqlite3.Connection, seqs: Sequence[int], keys: Iterable[tuple[str, str]]
) -> None:
    """OR ``keys`` into the key rows of every statement in ``seqs`` (in ``key_rows`` or in
    ``key_tail``, by the split)."""
    packed, regs = _packed(keys)
    if not (packed or regs) or not seqs:
        return
    ids = intern(conn, set(packed))
    split = split_seq(conn)
    for table, upsert, side in (("key_rows", _UPSERT, False), ("key_tail", _TAIL_UPSERT, True)):
        rows = [
            (ids[pair], seq, flags)
            for seq in seqs
            if (seq > split) == side
            for pair, flags in packed.items()
        ]
        if rows:
            conn.executemany(
                f"INSERT INTO {table} (kid, seq, flags) VALUES (?, ?, ?)" + upsert, rows
            )
    moved = [(reg_bucket(v), seq, v) for seq in seqs if seq <= split for v in regs]
    tail = [(seq, v) for seq in seqs if seq > split for v in regs]
    if moved:
        conn.executemany(
            "INSERT INTO reg_rows (bucket, seq, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            moved,
        )
    if tail:
        conn.executemany(
            "INSERT INTO reg_tail (seq, value) VALUES (?, ?) ON CONFLICT DO NOTHING", tail
        )


def copy_from_target(conn: sqlite3.Connection, to_seq: int, target_id: str) -> None:
    """Give a StatementRef statement the keys of its (stored) target and the target's chain."""
    add_keys(conn, [to_seq], chain_keys(conn, target_id))


def propagate(conn: sqlite3.Connection, target_id: str, target_seq: int) -> None:
    """Give the keys of a newly stored statement (and its chain) to every statement that
    references it, directly or through other StatementRefs."""
    seen = {target_seq}
    referrers: list[int] = []
    frontier = [target_id]
    while frontier:
        tid = frontier.pop()
        for seq, sid in conn.execute(
            "SELECT seq, id FROM statements WHERE ref_target = ?", (tid,)
        ).fetchall():
            if seq not in seen:
                seen.add(seq)
                referrers.append(seq)
                frontier.append(sid)
    if referrers:
        add_keys(conn, referrers, chain_keys(conn, target_id))


def delete_keys(conn: sqlite3.Connection, ids: Sequence[str]) -> None:
    """Delete the key rows of these statements (call before deleting the statements)."""
    rows: list[tuple[int, int]] = []
    regs: list[tuple[int, str]] = []
    for sid in ids:
        found = conn.execute("SELECT seq FROM statements WHERE id = ?", (sid,)).fetchone()
        if found is None:
            continue
        packed, values = _packed(chain_keys(conn, sid))
        kids = lookup(conn, packed)
        rows += [(kid, int(found[0])) for kid in kids.values()]
        regs += [(int(found[0]), value) for value in values]
    conn.executemany("DELETE FROM key_rows WHERE kid = ? AND seq = ?", rows)
    conn.executemany("DELETE FROM key_tail WHERE kid = ? AND seq = ?", rows)
    conn.executemany(
        "DELETE FROM reg_rows WHERE bucket = ? AND seq = ? AND value = ?",
        [(reg_bucket(value), seq, value) for seq, value in regs],
    )
    conn.executemany("DELETE FROM reg_tail WHERE seq = ? AND value = ?", regs)


@dataclass(frozen=True)
class KeyFilter:
    """One filter of a statement query on the posting tables: an interned key (``kid`` with
    its flag ``bit``) or, when ``registration`` is set, a registration (``kid`` unused)."""

    kid: int
    bit: int
    registration: str | None = None

    def driving(self, tail: bool) -> tuple[str, str, list[Any]]:
        """(table, condition on alias ``k``, parameters) when this filter's postings drive the
        query, on the tail side or the moved side."""
        if self.registration is None:
            table = "key_tail" if tail else "key_rows"
            return table, "k.kid = ? AND k.flags & ?", [self.kid, self.bit]
        if tail:
            return "reg_tail", "k.value = ?", [self.registration]
        bucket = reg_bucket(self.registration)
        return "reg_rows", "k.bucket = ? AND k.value = ?", [bucket, self.registration]

    def exists(self, tail: bool) -> tuple[str, list[Any]]:
        """(condition on ``s.seq``, parameters) when another filter drives the query."""
        if self.registration is None:
            table = "key_tail" if tail else "key_rows"
            sql = (
                f"EXISTS (SELECT 1 FROM {table} x WHERE x.kid = ? AND x.seq = s.seq"
                " AND x.flags & ?)"
            )
            return sql, [self.kid, self.bit]
        if tail:
            sql = "EXISTS (SELECT 1 FROM reg_tail x WHERE x.seq = s.seq AND x.value = ?)"
            return sql, [self.registration]
        sql = (
            "EXISTS (SELECT 1 FROM reg_rows x WHERE x.bucket = ? AND x.seq = s.seq AND x.value = ?)"
        )
        return sql, [reg_bucket(self.registration), self.registration]


def filter_of(conn: sqlite3.Connection, kind: str, value: str) -> KeyFilter | None:
    """The :class:`KeyFilter` of a query filter (kind, value); None when no statement can match
    (a value never interned)."""
    family, bit = KIND_BITS[kind]
    if family == REG_FAMILY:
        return KeyFilter(0, bit, value)
    kid, bit = kid_of(conn, kind, value)
    return None if kid is None else KeyFilter(kid, bit)


def kid_of(conn: sqlite3.Connection, kind: str, value: str) -> tuple[int | None, int]:
    """(interned id or None, flag bit) of a query filter (kind, value)."""
    family, bit = KIND_BITS[kind]
    row = conn.execute(
        "SELECT kid FROM key_names WHERE family = ? AND value = ?", (family, value)
    ).fetchone()
    return (None if row is None else int(row[0])), bit


def agent_statements(conn: sqlite3.Connection, agent_key: str) -> list[tuple[str, str]]:
    """(id, body) of every statement with the agent among its ``related_agent`` keys."""
    kid, bit = kid_of(conn, "related_agent", agent_key)
    if kid is None:
        return []
    rows = conn.execute(
        "SELECT s.id, s.body FROM key_postings k JOIN statements s ON s.seq = k.seq"
        " WHERE k.kid = ? AND k.flags & ?",
        (kid, bit),
    ).fetchall()
    return [(str(sid), str(body)) for sid, body in rows]


def forget_agent(conn: sqlite3.Connection, agent_key: str) -> None:
    """Drop the agent's interned value once no key row uses it (erasure)."""
    kid, _bit = kid_of(conn, "agent", agent_key)
    if kid is not None:
        used = conn.execute("SELECT 1 FROM key_postings WHERE kid = ? LIMIT 1", (kid,)).fetchone()
        if used is None:
            conn.execute("DELETE FROM key_names WHERE kid = ?", (kid,))


_FAMILY_SQL = "CASE kind " + " ".join(
    f"WHEN '{kind}' THEN {family}" for kind, (family, _b) in KIND_BITS.items()
)
_BIT_SQL = "CASE kind " + " ".join(
    f"WHEN '{kind}' THEN {bit}" for kind, (_f, bit) in KIND_BITS.items()
)


def migrate(conn: sqlite3.Connection) -> None:
    """Bring a store to :data:`STORE_VERSION` inside the caller's write transaction.

    Version 0 kept text rows ``statement_keys (kind, value, seq)``: their values are interned
    and their rows folded to one per (kid, seq), then the table is dropped. Versions 0 and 1
    hold every key row in ``key_rows``, so their split is the newest ``seq`` (0 for a new
    store). Versions 0 to 2 interned registrations: their postings move to ``reg_rows`` and
    ``reg_tail``. Idempotent.
    """
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version >= STORE_VERSION:
        return
    old = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'statement_keys'"
    ).fetchone()
    if old is not None:
        conn.execute(
            f"INSERT OR IGNORE INTO key_names (family, value)"
            f" SELECT DISTINCT {_FAMILY_SQL} END, value FROM statement_keys"
        )
        # Each kind appears at most once per (value, seq), and its bit is unique within its
        # family, so the SUM of the bits of one (kid, seq) is their OR.
        conn.execute(
            f"INSERT INTO key_rows (kid, seq, flags) SELECT n.kid, k.seq, SUM({_BIT_SQL} END)"
            f" FROM statement_keys k JOIN key_names n ON n.family = ({_FAMILY_SQL} END)"
            f" AND n.value = k.value GROUP BY n.kid, k.seq" + _UPSERT
        )
        conn.execute("DROP TABLE statement_keys")
    conn.execute(
        "INSERT OR IGNORE INTO key_split (one, seq) SELECT 1, COALESCE(MAX(seq), 0) FROM statements"
    )
    _unintern_registrations(conn)
    conn.execute(f"PRAGMA user_version = {STORE_VERSION}")


def _unintern_registrations(conn: sqlite3.Connection) -> None:
    """Version 3: move interned registration postings to ``reg_rows``/``reg_tail`` (by the
    split) and forget their ``key_names`` rows (one ``key_epoch`` bump for all of them)."""
    split = split_seq(conn)
    for table in ("key_rows", "key_tail"):
        found = conn.execute(
            f"SELECT k.seq, n.value FROM {table} k JOIN key_names n ON n.kid = k.kid"
            " WHERE n.family = ?",
            (REG_FAMILY,),
        )
        while chunk := found.fetchmany(50_000):
            conn.executemany(
                "INSERT INTO reg_rows (bucket, seq, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                sorted((reg_bucket(v), seq, v) for seq, v in chunk if seq <= split),
            )
            conn.executemany(
                "INSERT INTO reg_tail (seq, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [(seq, v) for seq, v in chunk if seq > split],
            )
        conn.execute(
            f"DELETE FROM {table} WHERE kid IN (SELECT kid FROM key_names WHERE family = ?)",
            (REG_FAMILY,),
        )
    if conn.execute("SELECT 1 FROM key_names WHERE family = ? LIMIT 1", (REG_FAMILY,)).fetchone():
        conn.execute("DROP TRIGGER IF EXISTS key_names_forgotten")
        conn.execute("DELETE FROM key_names WHERE family = ?", (REG_FAMILY,))
        conn.execute(KEY_EPOCH_TRIGGER)
        conn.execute("INSERT INTO key_epoch (n) VALUES (NULL)")
