"""API credentials on MongoDB: add, read, revoke, rotate, expiry and last-used time.

One document per credential in ``credentials`` (``_id`` = key). Documents written before expiry
and last-used existed simply lack the fields (read as None), so no migration is needed.
"""

from __future__ import annotations

import json
from typing import Any

from statements.store.base import Credential
from statements.store.mongo.conn import MongoConnection


def _credential(raw: dict[str, Any]) -> Credential:
    return Credential(
        key=raw["_id"],
        secret_hash=raw["secret_hash"],
        name=raw["name"],
        scopes=tuple(raw["scopes"]),
        authority=json.loads(raw["authority"]),
        created=raw["created"],
        revoked=bool(raw.get("revoked")),
        expires=raw.get("expires"),
        last_used=raw.get("last_used"),
    )


class MongoCredentials(MongoConnection):
    """Credential methods on the ``credentials`` collection."""

    def add_credential(self, credential: Credential) -> None:
        """Store a new credential; ``Conflict`` if the key exists."""
        with self.guard(f"credential {credential.key} exists"):
            self.db.credentials.insert_one(
                {
                    "_id": credential.key,
                    "secret_hash": credential.secret_hash,
                    "name": credential.name,
                    "scopes": list(credential.scopes),
                    "authority": json.dumps(credential.authority),
                    "created": credential.created,
                    "revoked": credential.revoked,
                    "expires": credential.expires,
                    "last_used": credential.last_used,
                }
            )

    def get_credential(self, key: str) -> Credential | None:
        """The credential with this key, revoked or not."""
        with self.guard():
            raw = self.db.credentials.find_one({"_id": key})
        return None if raw is None else _credential(raw)

    def list_credentials(self) -> list[Credential]:
        """All credentials, oldest first."""
        with self.guard():
            found = list(self.db.credentials.find().sort([("created", 1), ("_id", 1)]))
        return [_credential(raw) for raw in found]

    def revoke_credential(self, key: str) -> bool:
        """Mark revoked; False when the key is unknown."""
        return self._cred_set(key, {"revoked": True})

    def rotate_credential(self, key: str, secret_hash: str, expires: str | None) -> bool:
        """Replace the secret hash and the expiry; False when the key is unknown."""
        return self._cred_set(key, {"secret_hash": secret_hash, "expires": expires})

    def touch_credential(self, key: str, last_used: str) -> None:
        """Record the time of the last successful use."""
        self._cred_set(key, {"last_used": last_used})

    def _cred_set(self, key: str, fields: dict[str, Any]) -> bool:
        with self.guard():
            result = self.db.credentials.update_one({"_id": key}, {"$set": fields})
        return bool(result.matched_count)
