"""Read-only access to the DuckDB warehouse for the dashboards.

Each request reads through :meth:`analytics.warehouse.Warehouse.read` (a fresh in-memory DuckDB
with the published file attached read-only, so an atomic swap by the refresh is seen whole or
not at all). The identity file is attached only for staff-scoped viewers. The list of tables
is cached per published file (inode + mtime). A missing warehouse or table is reported as
:class:`NoData`, never as a server error.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analytics.warehouse import Warehouse, quote_path

if TYPE_CHECKING:  # imported on the first dashboard request, not with the LRS
    import duckdb
    import polars as pl

NO_DATA_HINT = "No data yet — run `lrs analytics refresh` to build the warehouse."


class NoData(Exception):
    """The warehouse (or a table a page needs) does not exist yet."""

    def __init__(self, message: str = NO_DATA_HINT) -> None:
        super().__init__(message)
        self.message = message


class NotFound(Exception):
    """A link names something the warehouse does not have (unknown department, task, …)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Reader:
    """One request's read-only connection plus the tables (and their columns) it can see."""

    con: duckdb.DuckDBPyConnection
    columns: dict[str, frozenset[str]]

    def has(self, *names: str) -> bool:
        """True when every table or view in ``names`` exists."""
        return all(n in self.columns for n in names)

    def need(self, *names: str) -> None:
        """Raise :class:`NoData` unless every table in ``names`` exists."""
        missing = [n for n in names if n not in self.columns]
        if missing:
            raise NoData(f"Table {', '.join(missing)} is not built yet. {NO_DATA_HINT}")

    def frame(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> pl.DataFrame:
        """Run one bound query and return a Polars frame."""
        frame: pl.DataFrame = self.con.sql(sql, params=list(params) if params else None).pl()
        return frame

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple[Any, ...]]:
        """Run one bound query and return its rows."""
        return self.con.execute(sql, params).fetchall()


_LIST_COLUMNS = """
SELECT table_catalog, table_name, column_name FROM information_schema.columns
WHERE table_schema = 'main' AND table_catalog IN ('wh', 'identity')
"""


@dataclass
class _Open:
    stamp: tuple[int, int]
    con: duckdb.DuckDBPyConnection
    columns: dict[str, frozenset[str]]


class WarehouseSource:
    """Keeps one read-only view of the published warehouse per process; follows swaps.

    Like :meth:`analytics.warehouse.Warehouse.read` (an in-memory DuckDB with the file attached
    ``READ_ONLY`` as ``wh``), but kept open and shared through per-request cursors: opening a
    fresh database per request costs 25-80 ms plus cold metadata on every query, too slow for
    the page budget. When the refresh publishes a new file (new inode or mtime) the next request
    opens it; requests in flight keep the old inode. Two views exist: without and with the
    identity file (attached only for staff-scoped viewers).
    """

    def __init__(self, path: Path) -> None:
        self.warehouse = Warehouse(path)
        self._lock = threading.Lock()
        self._open: dict[bool, _Open] = {}

    def _stamp(self) -> tuple[int, int]:
        try:
            st = self.warehouse.path.stat()
        except FileNotFoundError as exc:
            raise NoData() from exc
        return st.st_ino, st.st_mtime_ns

    def _connect(self, stamp: tuple[int, int], identity: bool) -> _Open:
        import duckdb

        con = duckdb.connect(":memory:", config=dict(self.warehouse.config))
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"ATTACH {quote_path(self.warehouse.path)} AS wh (READ_ONLY)")
        con.execute("USE wh")
        ident = self.warehouse.identity_path
        if identity and ident.exists():
            con.execute(f"ATTACH {quote_path(ident)} AS identity (READ_ONLY)")
        found: dict[str, set[str]] = {}
        for catalog, table, column in con.execute(_LIST_COLUMNS).fetchall():
            name = table if catalog == "wh" else f"{catalog}.{table}"
            found.setdefault(name, set()).add(column)
        return _Open(stamp, con, {k: frozenset(v) for k, v in found.items()})

    @contextmanager
    def reader(self, *, identity: bool = False) -> Iterator[Reader]:
        """A cursor for one request (identity map attached when ``identity``)."""
        import duckdb

        stamp = self._stamp()
        with self._lock:
            current = self._open.get(identity)
            if current is None or current.stamp != stamp:
                try:
                    current = self._connect(stamp, identity)
                except duckdb.Error as exc:
                    raise NoData(f"The warehouse cannot be opened ({exc}). {NO_DATA_HINT}") from exc
                # The old connection is dropped, not closed: cursors in flight still use it.
                self._open[identity] = current
            cursor = current.con.cursor()
        try:
            cursor.execute("USE wh")
            cursor.execute("SET TimeZone = 'UTC'")
            yield Reader(cursor, current.columns)
        finally:
            cursor.close()

    def close(self) -> None:
        """Close the shared connections (tests, shutdown)."""
        with self._lock:
            for opened in self._open.values():
                opened.con.close()
            self._open.clear()
