"""Background WAL checkpoints for the SQLite store, so that no commit pays for one.

Every connection of the store runs with ``wal_autocheckpoint=0``: SQLite would otherwise run
a checkpoint inside the COMMIT that crosses 1,000 WAL pages — under the write lock, with every
other writer waiting. Instead one :class:`Checkpointer` thread per process, started by the first
write, checkpoints on its own connection:

- every ``interval_s`` while the WAL has frames not yet copied: ``PASSIVE`` (never waits for,
  never blocks readers or writers);
- when the WAL holds more than ``limit_pages`` frames: ``RESTART`` with a short busy timeout, so
  the log starts over from its beginning (readers that keep old snapshots would otherwise let it
  grow without bound); ``journal_size_limit`` then truncates the file;
- when nothing was written for a tick and the log is fully copied: ``TRUNCATE`` (the WAL file
  shrinks to zero), and after ``idle_ticks`` quiet ticks the thread ends; the next write starts
  it again.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading


class Checkpointer:
    """One background checkpoint thread per process for one database file."""

    def __init__(
        self, path: str, interval_s: float, limit_pages: int, idle_ticks: int = 20
    ) -> None:
        self.path = path
        self.interval_s = max(interval_s, 0.01)
        self.limit_pages = max(limit_pages, 1)
        self.idle_ticks = idle_ticks
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._writes = 0
        self._stop = threading.Event()
        self.checkpoints = 0  # completed PASSIVE/RESTART/TRUNCATE calls (for tests and probes)

    def wrote(self) -> None:
        """Note a commit; start the thread in this process if it is not running."""
        with self._lock:
            self._writes += 1
            alive = self._thread is not None and self._thread.is_alive()
            if alive and self._pid == os.getpid() and not self._stop.is_set():
                return
            self._pid = os.getpid()
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Ask the thread to finish (after one last checkpoint) and wait for it."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)

    def _take_writes(self) -> int:
        with self._lock:
            writes, self._writes = self._writes, 0
            return writes

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self.path, timeout=0.2, isolation_level=None)
        except sqlite3.Error:
            return
        with contextlib.closing(conn):
            quiet = 0
            while quiet < self.idle_ticks:
                stopping = self._stop.wait(self.interval_s)
                writes = self._take_writes()
                quiet = 0 if writes else quiet + 1
                done = self.tick(conn, idle=not writes or stopping)
                if stopping and done:
                    return
                if not done:
                    quiet = 0

    def tick(self, conn: sqlite3.Connection, idle: bool) -> bool:
        """One checkpoint step; True when the WAL is fully copied into the database."""
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
