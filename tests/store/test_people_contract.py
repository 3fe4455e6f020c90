"""The people + session store contract on every backend (SQLite, mongomock)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from statements.errors import Conflict
from statements.people import Access, Person, Scope, SessionRecord


def _person(pid: str = "p1", email: str = "Ada@Example.org") -> Person:
    return Person(
        id=pid,
        display_name="Ada",
        email=email,
        access=Access(("viewer",), Scope(departments=("d1",))),
        password_hash="$argon2id$x",
        created="2026-01-01T00:00:00.000Z",
    )


def _session(sid: str = "h1", person_id: str = "p1") -> SessionRecord:
    return SessionRecord(
        id_hash=sid,
        person_id=person_id,
        method="local",
        display_name="Ada",
        email="ada@example.org",
        access=Access(("staff",), Scope(all=True)),
        created_us=10,
        last_seen_us=10,
        extra={"k": "v"},
    )


def test_people_round_trip_and_email_lookup(store: Any) -> None:
    store.add_person(_person())
    got = store.get_person("p1")
    assert got == dataclasses.replace(_person(), email="ada@example.org")
    assert store.get_person_by_email(" ADA@example.org ") == got
    assert store.get_person("nobody") is None and store.get_person_by_email("x@y") is None


def test_ids_and_emails_are_unique(store: Any) -> None:
    store.add_person(_person())
    with pytest.raises(Conflict):
        store.add_person(_person(email="other@example.org"))
    with pytest.raises(Conflict):
        store.add_person(_person(pid="p2", email="ada@example.org"))


def test_update_list_remove(store: Any) -> None:
    store.add_person(_person())
    store.add_person(dataclasses.replace(_person("p2", "b@example.org"), created="2026-01-02"))
    changed = dataclasses.replace(
        _person(), access=Access(("admin",), Scope(all=True)), disabled=True, totp_secret="ABC"
    )
    assert store.update_person(changed)
    assert store.get_person("p1").access.roles == ("admin",)
    assert store.get_person("p1").disabled and store.get_person("p1").totp_secret == "ABC"
    assert not store.update_person(_person("ghost", "g@example.org"))
    assert [p.id for p in store.list_people()] == ["p1", "p2"]
    assert store.remove_person("p1") and not store.remove_person("p1")
    assert [p.id for p in store.list_people()] == ["p2"]


def test_sessions_touch_end_and_end_all(store: Any) -> None:
    store.add_session(_session("h1"))
    store.add_session(_session("h2"))
    store.add_session(_session("h3", person_id="p2"))
    assert store.get_session("h1") == _session("h1")
    store.touch_session("h1", 99)
    assert store.get_session("h1").last_seen_us == 99
    assert store.end_session("h1") and not store.end_session("h1")
    assert store.get_session("h1").ended
    assert store.end_person_sessions("p1") == 1
    assert store.get_session("h2").ended and not store.get_session("h3").ended
    assert store.get_session("nope") is None


def test_removing_a_person_ends_their_sessions(store: Any) -> None:
    store.add_person(_person())
    store.add_session(_session("h1"))
    store.remove_person("p1")
    assert store.get_session("h1").ended
