"""The MongoDB backend (pymongo); see :mod:`statements.store.mongo.store`."""

from __future__ import annotations

from statements.store.mongo.store import MongoStore

__all__ = ["MongoStore"]
