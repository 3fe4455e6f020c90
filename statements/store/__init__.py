"""Store selection: :func:`open_store` lazily imports the backend named by the URL scheme."""

from __future__ import annotations

from typing import Any


def open_store(url: str) -> Any:
    """Open (not initialise) the store at ``url``: ``sqlite:///path`` or ``mongodb://…``."""
    if url.startswith("sqlite:///"):
        from config.settings import Settings
        from statements.store.sqlite import SQLiteStore

        cfg = Settings.from_env()
        return SQLiteStore(
            url[len("sqlite:///") :] or ":memory:",
            synchronous=cfg.sqlite_synchronous,
            cache_mb=cfg.sqlite_cache_mb,
            checkpoint_s=cfg.sqlite_checkpoint_s,
            wal_limit_mb=cfg.sqlite_wal_limit_mb,
        )
    if url == "sqlite://" or url == "sqlite://:memory:":
        from statements.store.sqlite import SQLiteStore

        return SQLiteStore(":memory:")
    if url.startswith(("mongodb://", "mongodb+srv://", "mongomock://")):
        from statements.store.mongo import MongoStore

        return MongoStore(url)
    raise ValueError(f"unsupported store URL: {url!r}")
