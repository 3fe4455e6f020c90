"""People and their server-side dashboard sessions on MongoDB (a mixin of ``MongoStore``).

``people`` (``_id`` = person id, unique index on the lower-cased email) and
``people_sessions`` (``_id`` = sha256 of the session id).
"""

from __future__ import annotations

from typing import Any

from statements.people import Access, Person, SessionRecord
from statements.store.mongo.conn import MongoConnection


def _person(raw: dict[str, Any]) -> Person:
    return Person(
        id=raw["_id"],
        display_name=raw["display_name"],
        email=raw["email"],
        access=Access.from_dict(raw["access"]),
        password_hash=raw.get("password_hash"),
        totp_secret=raw.get("totp_secret"),
        disabled=bool(raw.get("disabled")),
        created=raw["created"],
    )


def _person_doc(p: Person) -> dict[str, Any]:
    return {
        "display_name": p.display_name,
        "email": p.email.strip().lower(),
        "access": p.access.as_dict(),
        "password_hash": p.password_hash,
        "totp_secret": p.totp_secret,
        "disabled": p.disabled,
        "created": p.created,
    }


def _session(raw: dict[str, Any]) -> SessionRecord:
    return SessionRecord(
        id_hash=raw["_id"],
        person_id=raw["person_id"],
        method=raw["method"],
        display_name=raw["display_name"],
        email=raw["email"],
        access=Access.from_dict(raw["access"]),
        created_us=raw["created_us"],
        last_seen_us=raw["last_seen_us"],
        ended=bool(raw.get("ended")),
        extra=dict(raw.get("extra") or {}),
    )


class MongoPeople(MongoConnection):
    """People and session methods on the ``people`` and ``people_sessions`` collections."""

    def add_person(self, person: Person) -> None:
        """Store a new person; ``Conflict`` if the id or the email exists."""
        with self.guard(f"a person with id {person.id!r} or that email exists"):
            self.db.people.insert_one({"_id": person.id, **_person_doc(person)})

    def update_person(self, person: Person) -> bool:
        """Replace a person's fields (by id); False when the id is unknown."""
        with self.guard(f"a person with email {person.email!r} exists"):
            result = self.db.people.update_one({"_id": person.id}, {"$set": _person_doc(person)})
        return bool(result.matched_count)

    def get_person(self, person_id: str) -> Person | None:
        """The person with this id."""
        with self.guard():
            raw = self.db.people.find_one({"_id": person_id})
        return None if raw is None else _person(raw)

    def get_person_by_email(self, email: str) -> Person | None:
        """The person with this email (case-insensitive)."""
        with self.guard():
            raw = self.db.people.find_one({"email": email.strip().lower()})
        return None if raw is None else _person(raw)

    def list_people(self) -> list[Person]:
        """Everyone, oldest first."""
        with self.guard():
            found = list(self.db.people.find().sort([("created", 1), ("_id", 1)]))
        return [_person(raw) for raw in found]

    def remove_person(self, person_id: str) -> bool:
        """Delete a person and end their sessions; False when the id is unknown."""
        self.end_person_sessions(person_id)
        with self.guard():
            return bool(self.db.people.delete_one({"_id": person_id}).deleted_count)

    def add_session(self, record: SessionRecord) -> None:
        """Store a new session record."""
        with self.guard("session exists"):
            self.db.people_sessions.insert_one(
                {
                    "_id": record.id_hash,
                    "person_id": record.person_id,
                    "method": record.method,
                    "display_name": record.display_name,
                    "email": record.email,
                    "access": record.access.as_dict(),
                    "created_us": record.created_us,
                    "last_seen_us": record.last_seen_us,
                    "ended": record.ended,
                    "extra": dict(record.extra),
                }
            )

    def get_session(self, id_hash: str) -> SessionRecord | None:
        """The session with this id hash (ended or not)."""
        with self.guard():
            raw = self.db.people_sessions.find_one({"_id": id_hash})
        return None if raw is None else _session(raw)

    def touch_session(self, id_hash: str, last_seen_us: int) -> None:
        """Record activity on a session (the idle timeout counts from here)."""
        with self.guard():
            self.db.people_sessions.update_one(
                {"_id": id_hash}, {"$set": {"last_seen_us": last_seen_us}}
            )

    def end_session(self, id_hash: str) -> bool:
        """Mark a session ended; False when unknown or already ended."""
        with self.guard():
            result = self.db.people_sessions.update_one(
                {"_id": id_hash, "ended": False}, {"$set": {"ended": True}}
            )
        return bool(result.modified_count)

    def end_person_sessions(self, person_id: str) -> int:
        """End every open session of a person; how many were open."""
        with self.guard():
            result = self.db.people_sessions.update_many(
                {"person_id": person_id, "ended": False}, {"$set": {"ended": True}}
            )
        return int(result.modified_count)
