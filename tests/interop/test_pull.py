"""Pull-import from another LRS (our own app in-process as the source), on both backends."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from lrs.interop.client import TransportError
from lrs.interop.importer import Importer, Rejected
from lrs.interop.pull import Puller
from lrs.interop.pull.docs import owners_since, pull_documents
from statements.documents import ACTIVITY_PROFILE, AGENT_PROFILE, STATE, DocumentScope
from statements.ifi import agent_key
from statements.interop.store import interop_store
from statements.store.base import Attachment
from statements.store.migrate import inventory
from tests.conftest import FakeClock
from tests.interop.target import Target, post, same_statements, statement, voiding

PULL_AUTH = {"objectType": "Agent", "account": {"homePage": "http://target.test", "name": "tk"}}
CONTENT = b"signed record"
SHA = hashlib.sha256(CONTENT).hexdigest()


def source(tmp_path: Path, clock: FakeClock) -> Target:
    src = Target(tmp_path, clock)
    meta = {
        "usageType": "http://example.org/usage/cert",
        "display": {"en": "cert"},
        "contentType": "text/plain",
        "length": len(CONTENT),
        "sha2": SHA,
    }
    post(src.store, [statement(n) for n in range(30)], clock)
    post(
        src.store,
        [statement(40, attachments=[meta])],
        clock,
        [Attachment(SHA, "text/plain", CONTENT)],
    )
    post(src.store, [voiding(50, 3), voiding(51, 17)], clock)
    reg = "6f1b7f2e-8f5c-4c7e-9b1a-2a4f3d2c1b0a"
    post(src.store, [statement(60, context={"registration": reg})], clock)
    actor = {"mbox": "mailto:l0@example.org"}
    key = agent_key(actor)
    act = statement(60)["object"]["id"]
    src.store.put_document(
        DocumentScope(STATE, act, key, reg), "bookmark", b'{"p":3}', "application/json", 1
    )
    src.store.put_document(DocumentScope(STATE, act, key), "plain", b"x", "text/plain", 1)
    src.store.put_document(
        DocumentScope(ACTIVITY_PROFILE, activity_id=act), "ap", b"{}", "application/json", 1
    )
    src.store.put_document(
        DocumentScope(AGENT_PROFILE, agent_key=key), "pref", b"\x00\x01", "image/png", 1
    )
    return src


def puller(src: Target, store: Any, clock: FakeClock, ckpt: Path, bad: list[Rejected]) -> Puller:
    importer = Importer(store, interop_store(store), PULL_AUTH, src.endpoint, clock)
    return Puller(src, importer, ckpt, bad.append)


def test_pull_copies_statements_voids_attachments_and_documents(
    store: Any, tmp_path: Path, clock: FakeClock
) -> None:
    src = source(tmp_path, clock)
    bad: list[Rejected] = []
    state = puller(src, store, clock, tmp_path / "ckpt.json", bad).run({}, page_size=7)
    assert bad == [] and state.done and state.verified
    assert state.listed == 34 and state.pages == 5  # 32 listed + 2 voided fetched separately
    assert state.source_checksum == inventory(src.store).checksum
    same_statements(src.store, store)
    assert store.get_attachments([SHA])[SHA].content == CONTENT
    original = src.store.get_by_ids([statement(5)["id"]])[statement(5)["id"]].body
    kept = interop_store(store).get_provenance(statement(5)["id"])
    assert kept == {
        "source": src.endpoint,
        "stored": original["stored"],
        "authority": original["authority"],
    }
    here = store.get_by_ids([statement(5)["id"]])[statement(5)["id"]].body
    assert here["authority"] == PULL_AUTH
    assert store.get_activity(statement(5)["object"]["id"])["id"] == statement(5)["object"]["id"]
    assert store.get_agent_person(agent_key({"mbox": "mailto:l0@example.org"})) is not None
    assert pull_documents(src, store, owners_since(store, state.first_seq or 0), clock()) == 4
    docs = {
        (d.scope.kind, d.document_id, d.content, d.content_type) for d in store.iter_documents()
    }
    assert ("state", "bookmark", b'{"p":3}', "application/json") in docs
    assert ("state", "plain", b"x", "text/plain") in docs
    assert ("agent_profile", "pref", b"\x00\x01", "image/png") in docs
    assert len(docs) == 4


class Dies(Target):
    """Refuses every request after ``budget`` of them (a killed pull, from its point of view)."""

    budget = 10**9

    def request(self, method: str, url: str, body: Any = None, content_type: Any = None) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise TransportError("killed")
        return super().request(method, url, body, content_type)


def test_an_interrupted_pull_resumes_from_its_checkpoint(
    store: Any, tmp_path: Path, clock: FakeClock
) -> None:
    src = source(tmp_path, clock)
    dying = Dies.__new__(Dies)
    dying.__dict__.update(src.__dict__)
    dying.budget = 3
    ckpt = tmp_path / "ckpt.json"
    with pytest.raises(TransportError):
        puller(dying, store, clock, ckpt, []).run({}, page_size=7)
    assert ckpt.is_file()
    src.requests.clear()
    state = puller(src, store, clock, ckpt, []).run({}, page_size=7)
    assert state.verified and state.listed == 34
    first = [m for m in src.requests][:1]
    assert first and sum(1 for m, _ in src.requests if m == "GET") < 8  # not from page one
    same_statements(src.store, store)


def test_filters_are_passed_to_the_source(store: Any, tmp_path: Path, clock: FakeClock) -> None:
    src = source(tmp_path, clock)
    wanted = statement(1)["object"]["id"]
    state = puller(src, store, clock, tmp_path / "c.json", []).run(
        {"activity": wanted}, page_size=50
    )
    assert state.verified and state.listed == 5  # statements 1, 8, 15, 22, 29
    assert {r.body["object"]["id"] for b in store.iter_since(0) for r in b} == {wanted}
