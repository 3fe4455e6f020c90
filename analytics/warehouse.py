"""The DuckDB warehouse: one writer at a time, atomic swaps, read-only readers.

Two files: ``warehouse.duckdb`` holds only pseudonymised data; ``warehouse.identity.duckdb``
holds the admin-only identity map (person ids, mailboxes, actor IFIs). Keeping the identities in
another file means a sandboxed reader that never attaches it cannot reach them, whatever SQL it
runs.

How a write is atomic (see docs/warehouse.md): :meth:`Warehouse.write` takes an exclusive
``flock`` on ``warehouse.duckdb.lock`` (so two refreshes or imports never overlap, across
processes), copies both files to private temporary files, hands out a connection to the copies,
and on success checkpoints, closes and ``os.replace``-s the copies onto the real names (identity
first). A failure deletes the copies: the published files are untouched. Readers attach the
published file read-only in a fresh in-memory DuckDB per use; a reader keeps the inode it opened,
so it sees either the whole old warehouse or the whole new one, never a half-written file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analytics.imports.spec import KINDS, ddl
from statements.errors import Conflict

# DuckDB is imported on first use, not with this module: the LRS worker imports the
# warehouse for its admin and analytics routes but should not carry DuckDB until one runs.
if TYPE_CHECKING:
    import duckdb

    Connection = duckdb.DuckDBPyConnection


def __getattr__(name: str) -> Any:
    """``Connection`` (DuckDB's connection class) on first use."""
    if name == "Connection":
        import duckdb

        return duckdb.DuckDBPyConnection
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class WarehouseMissing(Conflict):
    """The warehouse has not been built yet (409)."""


class WarehouseBusy(Conflict):
    """Another refresh or import holds the write lock (409)."""


def quote_path(path: Path) -> str:
    """``path`` as a DuckDB SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def _sql(name: str) -> str:
    return resources.files("analytics.sql").joinpath(name).read_text()


class Warehouse:
    """The warehouse at ``path`` (its identity file and lock file live next to it)."""

    def __init__(self, path: Path, *, memory_limit: str = "", threads: int = 0) -> None:
        self.path = Path(path)
        self.identity_path = self.path.with_name(self.path.stem + ".identity.duckdb")
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.config: dict[str, Any] = {}
        if memory_limit:
            self.config["memory_limit"] = memory_limit
        if threads:
            self.config["threads"] = threads

    def exists(self) -> bool:
        """True once a first write has published the warehouse."""
        return self.path.exists()

    @contextlib.contextmanager
    def write(self, *, wait: bool = True) -> Iterator[Connection]:
        """A connection to private copies, published atomically when the block succeeds.

        The identity file is attached as schema ``identity``. ``wait=False`` raises
        :class:`WarehouseBusy` instead of waiting for another writer.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock(wait):
            self._remove_stale_copies()
            token = f"{os.getpid()}.{secrets.token_hex(4)}"
            main = self.path.with_name(f".{self.path.name}.{token}.tmp")
            ident = self.path.with_name(f".{self.identity_path.name}.{token}.tmp")
            fresh = not self.path.exists()
            if not fresh:
                shutil.copyfile(self.path, main)
            if self.identity_path.exists():
                shutil.copyfile(self.identity_path, ident)
            try:
                import duckdb

                conn = duckdb.connect(str(main), config=dict(self.config))
                try:
                    conn.execute("SET TimeZone = 'UTC'")
                    conn.execute(f"ATTACH {quote_path(ident)} AS identity")
                    ensure_schema(conn)
                    yield conn
                    conn.execute("CHECKPOINT")
                    conn.execute("CHECKPOINT identity")
                    conn.execute("DETACH identity")
                finally:
                    conn.close()
                os.replace(ident, self.identity_path)
                os.replace(main, self.path)
                _fsync_dir(self.path.parent)
            finally:
                for leftover in (main, ident):
                    leftover.unlink(missing_ok=True)
                    leftover.with_name(leftover.name + ".wal").unlink(missing_ok=True)

    @contextlib.contextmanager
    def read(
        self, *, identity: bool = False, config: dict[str, Any] | None = None
    ) -> Iterator[Connection]:
        """A fresh read-only view of the published warehouse (schema ``wh``, the default).

        ``identity=True`` also attaches the identity file as schema ``identity``: admin only.
        """
        if not self.exists():
            raise WarehouseMissing(
                "the analytics warehouse is not built yet: run `lrs analytics refresh`"
            )
        import duckdb

        conn = duckdb.connect(":memory:", config={**self.config, **(config or {})})
        try:
            conn.execute("SET TimeZone = 'UTC'")
            conn.execute(f"ATTACH {quote_path(self.path)} AS wh (READ_ONLY)")
            conn.execute("USE wh")
            if identity and self.identity_path.exists():
                conn.execute(f"ATTACH {quote_path(self.identity_path)} AS identity (READ_ONLY)")
            yield conn
        finally:
            conn.close()

    @contextlib.contextmanager
    def _lock(self, wait: bool) -> Iterator[None]:
        with open(self.lock_path, "a+") as handle:
            flags = fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB)
            try:
                fcntl.flock(handle, flags)
            except BlockingIOError as exc:
                raise WarehouseBusy("a warehouse refresh or import is already running") from exc
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _remove_stale_copies(self) -> None:
        for stale in self.path.parent.glob(f".{self.path.stem}*.tmp*"):
            stale.unlink(missing_ok=True)


def ensure_schema(conn: Connection) -> None:
    """Create every warehouse table and view (idempotent).

    No crosswalk is pre-loaded: ``category_competency`` belongs to the hospital (imported), and
    without one the linkage uses the default by competency category (``analytics.crosswalk``).
    """
    conn.execute(_sql("warehouse.sql"))
    conn.execute(_sql("identity.sql"))
    for kind in KINDS.values():
        conn.execute(ddl(kind))


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
