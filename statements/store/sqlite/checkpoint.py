"""Background WAL checkpoints for the SQLite store, so that no commit pays for one.

Every connection of the store runs with ``wal_autocheckpoint=0``: SQLite would otherwise run
a checkpoint inside the COMMIT that crosses 1,000 WAL pages — under the write lock, with every
other writer waiting. Instead each store has a :class:`Checkpointer`, and **one** thread per
process (started by the first write, ended when no store has work) serves all of them, each on
its own connection:

- every ``interval_s`` while the WAL has frames not yet copied: ``PASSIVE`` (never waits for,
  never blocks readers or writers);
- when the WAL holds more than ``limit_pages`` frames: ``RESTART`` with a short busy timeout, so
  the log starts over from its beginning (readers that keep old snapshots would otherwise let it
  grow without bound); ``journal_size_limit`` then truncates the file;
- when nothing was written for a tick and the log is fully copied: ``TRUNCATE`` (the WAL file
  shrinks to zero); after ``idle_ticks`` quiet ticks the store's connection is closed and the
  store leaves the thread's list until its next write.

**One process checkpoints a database.** Gunicorn runs several workers on one file, and each
would otherwise copy the WAL on its own timer: twice the checkpoints, each with fewer
repeated pages to fold into one copy, and an idle worker's ``TRUNCATE`` would wait on the
other's writes. The process that holds an exclusive ``flock`` on ``<database>-ckpt`` leads:
it checkpoints for every writer, tells "someone wrote" from ``PRAGMA data_version`` (which
moves on any other connection's commit) as well as from its own commits, and lets the lock go
when the database has been quiet for ``idle_ticks`` ticks. The others try the lock on each
tick, so a writer takes over within one interval when the leader goes idle, exits or dies
(the kernel drops a dead process's ``flock``). A separate file, because a POSIX lock that
SQLite holds on the database or its ``-shm`` would be dropped by any other descriptor's close.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import time
from pathlib import Path

#: Beside the database: the file whose ``flock`` names the process that checkpoints it.
LEAD_SUFFIX = "-ckpt"
#: Every file a SQLite store keeps: the database, SQLite's WAL and shared index, the lead file.
FILE_SUFFIXES = ("", "-wal", "-shm", LEAD_SUFFIX)


def store_files(path: Path) -> list[Path]:
    """The files of the SQLite store at ``path`` (whether or not they exist now)."""
    return [path.with_name(path.name + suffix) for suffix in FILE_SUFFIXES]


class Checkpointer:
    """Checkpoint state of one database file (served by the process's checkpoint thread)."""

    def __init__(self, path: str, interval_s: float, limit_pages: int, idle_ticks: int = 4) -> None:
        self.path = path
        self.interval_s = max(interval_s, 0.01)
        self.limit_pages = max(limit_pages, 1)
        self.idle_ticks = idle_ticks
        self._lock = threading.Lock()  # held for a whole checkpoint step
        self._count_lock = threading.Lock()  # only for ``_writes``: a commit never waits on a step
        self._conn: sqlite3.Connection | None = None
        self._writes = 0
        self._quiet = 0
        self._due = 0.0
        self._stopped = False  # set by stop(), cleared by the next write
        self._lead_fd: int | None = None  # open with an exclusive flock while this process leads
        self._lead_pid = 0  # the process that took it (a forked child must take its own)
        self._version: int | None = None  # ``PRAGMA data_version`` at the last step
        self.checkpoints = 0  # completed checkpoint calls (for tests and probes)

    def wrote(self) -> None:
        """Note a commit; make sure the process's checkpoint thread serves this store.

        Called by writers under their write lock: it takes only the counter's lock, never the
        one a running checkpoint holds.
        """
        with self._count_lock:
            self._writes += 1
            self._stopped = False
        REGISTRY.add(self)

    @property
    def pending(self) -> int:
        """Commits since the last checkpoint step."""
        return self._writes

    @property
    def active(self) -> bool:
        """Whether the checkpoint thread currently serves this store."""
        return REGISTRY.holds(self)

    def stop(self) -> None:
        """Leave the thread's list after one last checkpoint (TRUNCATE when possible)."""
        REGISTRY.discard(self)
        with self._lock:
            self._stopped = True  # the thread may still hold this store in its list
            conn, self._conn = self._conn, None
            with self._count_lock:
                writes, self._writes = self._writes, 0
            if self._lead():  # the last checkpoint is the leader's (or a free lead's) to take
                if conn is None and writes:
                    conn = self._open()
                if conn is not None:
                    self.tick(conn, idle=True)
            if conn is not None:
                conn.close()
            self._release()

    def _open(self) -> sqlite3.Connection | None:
        """A connection to the existing database (``mode=rw``: a checkpointer never creates
        a file, e.g. when the store was closed and its files removed)."""
        try:
            return sqlite3.connect(
                Path(self.path).absolute().as_uri() + "?mode=rw",
                uri=True,
                timeout=0.2,
                isolation_level=None,
                check_same_thread=False,
            )
        except (sqlite3.Error, ValueError):
            return None

    def step(self, now: float) -> bool:
        """One due checkpoint step (called by the thread); False once the store is idle."""
        with self._lock:
            if self._stopped:
                return False
            if now < self._due:
                return True
            self._due = now + self.interval_s
            with self._count_lock:
                writes, self._writes = self._writes, 0
            if not os.path.exists(self.path):  # removed: nothing to copy, no file to create
                self._release()
                return self._rest()
            if not self._lead():  # another process checkpoints this database
                self._quiet = 0 if writes else self._quiet + 1
                return self._quiet < self.idle_ticks or self._rest()
            if self._conn is None:
                self._conn = self._open()
                if self._conn is None:
                    self._release()
                    return False
            wrote = bool(writes) or self._others_wrote(self._conn)
            done = self.tick(self._conn, idle=not wrote)
            self._quiet = 0 if wrote or not done else self._quiet + 1
            if self._quiet < self.idle_ticks:
                return True
            self._conn.close()
            self._conn = None
            self._release()
            return self._rest()

    def _rest(self) -> bool:
        self._quiet = 0
        return False

    def _others_wrote(self, conn: sqlite3.Connection) -> bool:
        """Whether another connection (any process) committed since the last step."""
        try:
            version = int(conn.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error:
            return True
        moved, self._version = version != self._version, version
        return moved

    def _lead(self) -> bool:
        """Whether this process leads the database's checkpoints (taking the lead if free)."""
        if self._lead_fd is not None and self._lead_pid != os.getpid():
            os.close(self._lead_fd)  # inherited through fork: the lead stays the parent's
            self._lead_fd = None
        if self._lead_fd is not None:
            return True
        if not os.path.exists(self.path):
            return False  # removed (or not yet created): nothing to checkpoint, no file to make
        try:
            # Read-only and 0644 like the database: any process that may write can lock it.
            fd = os.open(self.path + LEAD_SUFFIX, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError:
            return True  # no lock file possible (read-only directory): checkpoint as before
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._lead_fd, self._lead_pid, self._version = fd, os.getpid(), None
        return True

    def _release(self) -> None:
        """Let another process lead (closing the descriptor drops the ``flock``)."""
        fd, self._lead_fd = self._lead_fd, None
        if fd is not None:
            os.close(fd)

    def tick(self, conn: sqlite3.Connection, idle: bool) -> bool:
        """One checkpoint; True when the WAL is fully copied into the database."""
        try:
            busy, log, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            self.checkpoints += 1
            mode = "TRUNCATE" if idle and log > 0 else "RESTART" if log > self.limit_pages else ""
            if mode and not busy and copied == log:
                busy, log, copied = conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
                self.checkpoints += 1
        except sqlite3.Error:
            return False
        return bool(not busy and copied == log)


class _Registry:
    """The stores the process's checkpoint thread serves, and that thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: set[Checkpointer] = set()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def add(self, cp: Checkpointer) -> None:
        with self._lock:
            self._items.add(cp)
            running = self._thread is not None and self._thread.is_alive()
            if not running or self._pid != os.getpid():
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._run, name="sqlite-checkpoint", daemon=True
                )
                self._thread.start()

    def discard(self, cp: Checkpointer) -> None:
        with self._lock:
            self._items.discard(cp)

    def holds(self, cp: Checkpointer) -> bool:
        with self._lock:
            return cp in self._items

    def _run(self) -> None:
        while True:
            with self._lock:
                items = list(self._items)
                if not items:
                    self._thread = None
                    return
            time.sleep(min(cp.interval_s for cp in items))
            for cp in items:
                keep = True
                with contextlib.suppress(Exception):
                    keep = cp.step(time.monotonic())
                if not keep:
                    with self._lock:
                        if cp.pending == 0:  # a write since the step keeps it listed
                            self._items.discard(cp)


REGISTRY = _Registry()
