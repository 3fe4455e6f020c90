"""The MongoDB connection of a store: lazy per process, configured, driver errors translated.

The ``MongoClient`` is created on first use *in the current process* (and again after a fork),
so gunicorn workers never share sockets with the master. ``mongomock://host/db`` URLs use
mongomock's in-memory client instead (development and tests only: nothing is persisted and
each store object has its own data).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pymongo import MongoClient
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

from config.settings import Settings
from statements.errors import Conflict, StoreUnavailable

DEFAULT_DB = "lrs"
DUPLICATE_KEY = 11000


def client_options(url: str, settings: Settings) -> dict[str, Any]:
    """MongoClient keyword options from the settings, except those the URI already sets."""
    given = {name.lower() for name, _ in parse_qsl(urlsplit(url).query)}
    wc: Any = settings.mongo_write_concern
    if isinstance(wc, str) and wc.isdigit():
        wc = int(wc)
    timeout = settings.mongo_timeout_ms
    wanted: dict[str, Any] = {
        "w": wc,
        "readPreference": settings.mongo_read_preference,
        "serverSelectionTimeoutMS": timeout,
        "connectTimeoutMS": timeout,
        "socketTimeoutMS": timeout,
        "maxPoolSize": settings.mongo_pool_size,
        "appname": "readiness-lrs",
    }
    return {k: v for k, v in wanted.items() if k.lower() not in given}


def is_duplicate(exc: PyMongoError) -> bool:
    """True when a write failed on a unique index (also inside a bulk write)."""
    if isinstance(exc, DuplicateKeyError):
        return True
    if isinstance(exc, BulkWriteError):
        errors = exc.details.get("writeErrors") or []
        return any(e.get("code") == DUPLICATE_KEY for e in errors)
    return False


class MongoConnection:
    """Owns the client and database handle; base of the MongoDB store mixins."""

    def __init__(self, url: str, settings: Settings | None = None) -> None:
        self.url = url
        self._settings = settings
        self._mock = url.startswith("mongomock://")
        self._lock = threading.Lock()
        self._client: Any = None
        self._pid = 0
        self._txn: bool | None = None

    @property
    def settings(self) -> Settings:
        """The settings (read from ``LRS_*`` on first use when none were given)."""
        if self._settings is None:
            self._settings = Settings.from_env()
        return self._settings

    def _connect(self) -> Any:
        if self._mock:
            import mongomock

            return mongomock.MongoClient()
        return MongoClient(self.url, **client_options(self.url, self.settings))

    def client(self) -> Any:
        """The client of this process, created on first use (after a fork: anew)."""
        pid = os.getpid()
        if self._client is None or self._pid != pid:
            with self._lock:
                if self._client is None or self._pid != pid:
                    try:
                        self._client = self._connect()
                    except PyMongoError as exc:
                        raise StoreUnavailable(f"cannot open the store: {exc}") from exc
                    self._pid = pid
                    self._txn = None
        return self._client

    @property
    def db(self) -> Any:
        """The LRS database: the URI's path, default ``lrs``."""
        if self._mock:
            name = urlsplit(self.url).path.strip("/") or DEFAULT_DB
            return self.client()[name]
        return self.client().get_default_database(default=DEFAULT_DB)

    def close(self) -> None:
        """Close this process's client."""
        with self._lock:
            if self._client is not None and self._pid == os.getpid() and not self._mock:
                self._client.close()
                self._client = None

    def transactions(self) -> bool:
        """Whether batches run in a transaction (``LRS_MONGO_TRANSACTIONS``: auto/on/off).

        ``auto`` asks the server (``hello``): replica-set members and ``mongos`` support
        multi-document transactions, a standalone server (and mongomock) does not.
        """
        if self._txn is None:
            mode = self.settings.mongo_transactions.lower()
            if self._mock or mode == "off":
                self._txn = False
            elif mode == "on":
                self._txn = True
            else:
                with self.guard():
                    hello = self.client().admin.command("hello")
                self._txn = "setName" in hello or hello.get("msg") == "isdbgrid"
        return self._txn

    @contextmanager
    def guard(self, conflict: str = "a record with this id already exists") -> Iterator[None]:
        """Translate driver errors: duplicate key → ``Conflict``, others → ``StoreUnavailable``."""
        try:
            yield
        except PyMongoError as exc:
            if is_duplicate(exc):
                raise Conflict(conflict) from exc
            raise StoreUnavailable(f"store operation failed: {exc}") from exc

    def drop_database(self) -> None:
        """Drop the whole database (tests and ``lrs migrate`` rehearsals only)."""
        with self.guard():
            self.client().drop_database(self.db.name)
