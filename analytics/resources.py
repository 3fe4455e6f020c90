"""The warehouse and pseudonym key a process uses, built from :class:`config.settings.Settings`."""

from __future__ import annotations

from analytics.pseudonym import load_key
from analytics.warehouse import Warehouse
from config.settings import Settings


def warehouse_for(settings: Settings) -> Warehouse:
    """The warehouse at ``settings.resolved_warehouse_path``."""
    return Warehouse(settings.resolved_warehouse_path)


def secret_for(settings: Settings) -> bytes:
    """The pseudonymisation key (configured, or kept in ``<data_dir>/pseudonym.key``)."""
    return load_key(settings.pseudonym_key, settings.data_dir)
