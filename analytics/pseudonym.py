"""Keyed-hash pseudonyms for learners: the warehouse never holds a raw identity.

``person_key`` pseudonymises a staff ``person_id``; ``actor_key`` pseudonymises an xAPI actor's
IFI string (as :func:`statements.ifi.agent_key` renders it). Both are HMAC-SHA256 with the
settings key, domain-separated so the same text never yields the same key in both spaces, and
truncated to 24 hex characters (96 bits: collisions are negligible for any hospital).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_CHARS = 24
KEY_FILE = "pseudonym.key"


def _keyed(secret: bytes, domain: str, text: str) -> str:
    digest = hmac.new(secret, f"{domain}\x00{text}".encode(), hashlib.sha256).hexdigest()
    return digest[:KEY_CHARS]


def person_key(secret: bytes, person_id: str) -> str:
    """The pseudonym of a staff ``person_id`` (hex, 24 characters)."""
    return _keyed(secret, "person", person_id)


def actor_key(secret: bytes, ifi: str) -> str:
    """The pseudonym of an actor IFI string such as ``mbox:mailto:a@example.org``."""
    return _keyed(secret, "actor", ifi)


def load_key(configured: str, data_dir: Path) -> bytes:
    """The configured key, else the one kept in ``<data_dir>/pseudonym.key`` (created once).

    Creation is atomic across processes (write a private temp file, hard-link it into place:
    the first writer wins), so every worker hashes with the same key.
    """
    if configured:
        return configured.encode()
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(secrets.token_hex(32))
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text().strip().encode()
