"""Who ran an ``lrs`` command, for the audit log: ``cli:<operating-system user>``."""

from __future__ import annotations

import getpass
import os
from typing import Any

from config.settings import Settings
from lrs.extensions import system_clock_us
from statements.store import open_store


def cli_actor() -> str:
    """``cli:<login name>`` (``cli:uid<n>`` when the user has no name)."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = f"uid{os.getuid()}"
    return f"cli:{name}"


def audit_cli(store: Any, action: str, detail: dict[str, Any]) -> None:
    """Append an audit entry for a command run from the shell."""
    store.append_audit(system_clock_us(), cli_actor(), action, detail)


def audit_settings(settings: Settings, action: str, detail: dict[str, Any]) -> None:
    """Append an audit entry for a shell command that has no store open."""
    store = open_store(settings.resolved_store_url)
    try:
        store.init()
        audit_cli(store, action, detail)
    finally:
        store.close()
