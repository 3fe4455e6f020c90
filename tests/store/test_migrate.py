"""``lrs migrate``: SQLite → MongoDB (mongomock) → SQLite, resumable, verified."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lrs.cli import main
from statements.documents import ACTIVITY_PROFILE, AGENT_PROFILE, STATE, DocumentScope
from statements.people import Access, Person, Scope
from statements.query import StatementQuery
from statements.store.base import Attachment, Credential
from statements.store.migrate import copy_statements, copy_the_rest, ids_checksum, inventory
from tests.conftest import make_store
from tests.store.test_statement_contract import OTHER_AUTH, rec, stmt, void

ACT = "http://example.org/activities/a1"
AGENT = "mbox:mailto:learner@example.org"
ATT = Attachment("ab" * 32, "text/plain", b"signed pdf stand-in")
ORPHAN = Attachment("cd" * 32, "application/octet-stream", bytes(range(256)))


def fill(store: Any) -> None:
    """A small LRS: 12 statements (2 voided, a StatementRef chain), documents, the rest."""
    att_stmt = stmt(
        20,
        attachments=[
            {
                "usageType": "http://x.org/u",
                "display": {"en": "a"},
                "contentType": "text/plain",
                "length": 19,
                "sha2": ATT.sha2,
            }
        ],
    )
    ref = stmt(21, object={"objectType": "StatementRef", "id": str(uuid.UUID(int=4))})
    ext = stmt(22, result={"extensions": {"http://x.org/a.b": {"$k": {"c.d": 1}}}})
    store.insert([rec(stmt(n), at=n) for n in range(6)], [])
    store.insert([rec(void(6, 0), at=6), rec(void(7, 1), at=7)], [])
    store.insert([rec(att_stmt, at=8)], [ATT])
    store.insert([rec(ref, at=9), rec(ext, at=10, authority=OTHER_AUTH)], [ORPHAN])
    store.insert([rec(void(23, 99), at=11)], [])  # voids a statement that never arrives
    store.put_document(
        DocumentScope(STATE, ACT, AGENT, str(uuid.UUID(int=5))), "s", b"{}", "application/json", 1
    )
    store.put_document(
        DocumentScope(ACTIVITY_PROFILE, activity_id=ACT), "p", ORPHAN.content, "image/x-raw; q=1", 2
    )
    store.put_document(
        DocumentScope(AGENT_PROFILE, agent_key=AGENT), "a", b'{"x":1}', "application/json", 3
    )
    for n in range(2):
        store.add_credential(
            Credential(f"k{n}", "hash", f"c{n}", ("all",), OTHER_AUTH, f"2026-0{n + 1}")
        )
    store.revoke_credential("k1")
    store.add_person(
        Person("p1", "Ann", "ann@example.org", Access(("staff",), Scope(departments=("D2",))),
               "$argon2id$h", "TOTPSECRET", False, "2026-01-01")
    )  # fmt: skip
    store.upsert_activity_definitions(
        [
            {
                "id": ACT,
                "definition": {
                    "name": {"en-US": "one", "fr-FR": "un"},
                    "extensions": {"http://x.org/e.f": {"$g": 1}},
                },
            }
        ],
        True,
    )
    store.record_agents(
        [{"mbox": "mailto:learner@example.org", "name": n} for n in ("B", "A", "B")]
    )


def snapshot(store: Any) -> dict[str, Any]:
    """Everything observable, in a comparable form."""
    records = [r for b in store.iter_since(0) for r in b]
    queries = {
        name: [r.id for r in store.query(StatementQuery(limit=50, **q)).records]
        for name, q in {
            "all": {},
            "verb": {"verb": "http://example.org/verbs/v1"},
            "act": {"activity": "http://example.org/activities/a3"},
            "mine": {"authority": "account:http://lrs.test|o"},
        }.items()
    }
    return {
        "statements": [(r.id, json.dumps(r.body), r.stored_us, r.voided) for r in records],
        "queries": queries,
        "attachments": sorted(store.iter_attachments(), key=lambda a: a.sha2),
        "documents": sorted(
            (repr(d.scope), d.document_id, d.content, d.content_type, d.updated_us, d.digest)
            for d in store.iter_documents()
        ),
        "credentials": store.list_credentials(),
        "people": store.list_people(),
        "activity": store.get_activity(ACT),
        "person": store.get_agent_person(AGENT),
    }


@pytest.fixture
def sqlite_src(tmp_path: Path) -> Any:
    store = make_store("sqlite", tmp_path / "src")
    fill(store)
    return store


def test_sqlite_to_mongo_and_back(sqlite_src: Any, tmp_path: Path) -> None:
    mongo = make_store("mongomock", tmp_path)
    back = make_store("sqlite", tmp_path / "back")
    expected = snapshot(sqlite_src)
    assert sum(1 for s in expected["statements"] if s[3]) == 2
    for src, dst in ((sqlite_src, mongo), (mongo, back)):
        assert copy_statements(src, dst, batch_size=4) == 12
        copy_the_rest(src, dst, batch_size=1)
        assert inventory(dst) == inventory(src)
        assert snapshot(dst) == expected


def test_interrupted_copy_resumes(sqlite_src: Any, tmp_path: Path) -> None:
    mongo = make_store("mongomock", tmp_path)
    calls = []

    def stop_after_two(done: int) -> None:
        calls.append(done)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        copy_statements(sqlite_src, mongo, batch_size=4, progress=stop_after_two)
    assert inventory(mongo).statements == 8
    assert copy_statements(sqlite_src, mongo, batch_size=4) == 4
    copy_the_rest(sqlite_src, mongo)
    copy_the_rest(sqlite_src, mongo)  # idempotent
    assert inventory(mongo) == inventory(sqlite_src)
    assert snapshot(mongo) == snapshot(sqlite_src)


def test_checksum_is_order_independent_and_sensitive() -> None:
    ids = [str(uuid.UUID(int=n)) for n in range(5)]
    assert ids_checksum(ids) == ids_checksum(reversed(ids))
    assert ids_checksum(ids) != ids_checksum(ids[:4])
    assert ids_checksum([]) == "0" * 64


def test_cli_migrates_and_verifies(sqlite_src: Any, tmp_path: Path) -> None:
    dest = tmp_path / "dest.db"
    args = ["migrate", "--from", f"sqlite:///{sqlite_src.path}", "--to", f"sqlite:///{dest}"]
    result = CliRunner().invoke(main, [*args, "--batch", "5"])
    assert result.exit_code == 0, result.output
    assert "verification ok" in result.output
    assert "statements             12           12" in result.output
    again = CliRunner().invoke(main, args)  # resumable: a second run copies nothing new
    assert again.exit_code == 0 and "copied 0 statements" in again.output


def test_cli_to_mongomock(sqlite_src: Any) -> None:
    args = ["migrate", "--from", f"sqlite:///{sqlite_src.path}", "--to", "mongomock://x/lrs"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "verification ok" in result.output


def test_cli_reports_a_mismatch(sqlite_src: Any, tmp_path: Path) -> None:
    dest = make_store("sqlite", tmp_path / "pre")
    dest.insert([rec(stmt(500), at=500)], [])  # the destination was not empty
    args = ["migrate", "--from", f"sqlite:///{sqlite_src.path}", "--to", f"sqlite:///{dest.path}"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "MISMATCH" in result.output
