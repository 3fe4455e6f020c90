"""The app's signing key: from settings, else generated once into ``<data_dir>/secret.key``."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def load_secret_key(configured: str, data_dir: Path) -> str:
    """Return the configured key or the one kept in the data directory (created atomically)."""
    if configured:
        return configured
    path = data_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    candidate = secrets.token_hex(32)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(candidate)
    os.chmod(tmp, 0o600)
    try:
        os.link(tmp, path)  # first writer wins across processes
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text().strip()
