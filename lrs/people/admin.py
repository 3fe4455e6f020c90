"""Managing people outside a request: create, find, the bootstrap admin and the demo leader."""

from __future__ import annotations

import secrets
from typing import Any

from lrs.people.passwords import hash_password, new_password
from lrs.people.signin import DEMO_PERSON_ID
from statements.people import Access, Person, Scope
from statements.timefmt import format_us

BOOTSTRAP_ID = "bootstrap-admin"
BOOTSTRAP_EMAIL = "admin@localhost"
DEMO_EMAIL = "leader@demo.invalid"


def new_person(
    email: str,
    display_name: str,
    access: Access,
    now_us: int,
    password: str | None = None,
    person_id: str | None = None,
) -> Person:
    """A new person (not stored); ``password`` hashed with argon2id when given."""
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email.strip()):
        raise ValueError(f"not an email address: {email!r}")
    if not display_name.strip():
        raise ValueError("a display name is required")
    return Person(
        id=person_id or f"p_{secrets.token_hex(8)}",
        display_name=display_name.strip(),
        email=email.strip().lower(),
        access=access,
        password_hash=hash_password(password) if password is not None else None,
        created=format_us(now_us),
    )


def find(store: Any, id_or_email: str) -> Person | None:
    """A person by id, else by email."""
    found: Person | None = store.get_person(id_or_email) or store.get_person_by_email(id_or_email)
    return found


def ensure_bootstrap_admin(store: Any, now_us: int) -> tuple[Person, str] | None:
    """Create the first admin when the store has nobody (the demo leader aside).

    Returns (person, clear password) the one time it is created — the caller prints it once;
    only the argon2 hash is kept, so it can never be shown again — else None. The fixed id
    makes a second process starting at the same moment fail with ``Conflict`` (so one admin).
    """
    if any(p.id != DEMO_PERSON_ID for p in store.list_people()):
        return None
    password = new_password()
    admin = new_person(
        BOOTSTRAP_EMAIL,
        "Administrator",
        Access(("admin",), Scope(all=True)),
        now_us,
        password=password,
        person_id=BOOTSTRAP_ID,
    )
    from statements.errors import Conflict

    try:
        store.add_person(admin)
    except Conflict:
        return None
    store.append_audit(now_us, "system", "people.bootstrap_admin", {"email": admin.email})
    return admin, password


def ensure_demo_leader(store: Any, now_us: int) -> Person:
    """The demo hospital's leader (every role, every unit; no password: one-click sign-in)."""
    found: Person | None = store.get_person(DEMO_PERSON_ID)
    if found is not None:
        return found
    leader = new_person(
        DEMO_EMAIL,
        "Demo quality leader",
        Access(("staff", "educator", "auditor", "admin"), Scope(all=True)),
        now_us,
        person_id=DEMO_PERSON_ID,
    )
    store.add_person(leader)
    return leader
