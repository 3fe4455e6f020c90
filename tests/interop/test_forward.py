"""Forwarding: outbox after the watermark, retries, dead letters, idempotent re-delivery."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from lrs.interop.forward import Forwarder, Policy
from statements.interop.model import Destination
from statements.interop.store import interop_store
from statements.store.base import Attachment
from tests.conftest import FakeClock
from tests.interop.target import Target, post, same_statements, statement, voiding


def setup(store: Any, tmp_path: Path, clock: FakeClock, **dest: Any) -> tuple[Forwarder, Target]:
    target = Target(tmp_path, clock)
    fwd = interop_store(store)
    fwd.add_destination(
        Destination(name="central", url=target.endpoint, key="tk", secret="ts", **dest)
    )
    policy = Policy(max_attempts=4, backoff_s=1.0, backoff_cap_s=8.0, settle_s=60.0)
    return Forwarder(store, fwd, clock, policy, lambda _d: target), target


def drain(forwarder: Forwarder, limit: int = 100) -> int:
    total = 0
    for _ in range(limit):
        sent = forwarder.run_once()
        total += sent
        dest = forwarder.fwd.list_destinations()[0]
        if not sent and forwarder.fwd.depth(dest.watermark) == 0:
            return total
    raise AssertionError("forwarder did not drain")


def test_delivers_everything_once_across_an_outage(
    store: Any, tmp_path: Path, clock: FakeClock
) -> None:
    forwarder, target = setup(store, tmp_path, clock, batch_size=7)
    post(store, [statement(n) for n in range(20)], clock)
    post(store, [voiding(20, 3), voiding(21, 4)], clock)
    target.down = True
    assert forwarder.run_once() == 0
    dest = forwarder.fwd.get_destination("central")
    assert (dest.attempts, dest.failures, dest.watermark) == (1, 1, 0)
    assert dest.next_attempt_us > clock.now
    assert forwarder.run_once() == 0  # not due yet: backoff
    assert forwarder.fwd.get_destination("central").attempts == 1
    clock.advance(1.5)
    assert forwarder.run_once() == 0
    assert forwarder.fwd.get_destination("central").attempts == 2
    post(store, [statement(n) for n in range(30, 35)], clock)  # more arrive during the outage
    target.down = False
    clock.advance(10)
    assert drain(forwarder) == 27
    same_statements(store, target.store)
    assert forwarder.status(forwarder.fwd.get_destination("central")).depth == 0


def test_crash_before_the_watermark_is_saved_resends_without_duplicates(
    store: Any, tmp_path: Path, clock: FakeClock
) -> None:
    forwarder, target = setup(store, tmp_path, clock, batch_size=10)
    post(store, [statement(n) for n in range(25)], clock)
    real_save = forwarder.fwd.save_destination
    calls = {"n": 0}

    def crash_on_second(dest: Destination, dead: Any = ()) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("kill -9 between the POST and the watermark write")
        real_save(dest, dead)

    forwarder.fwd.save_destination = crash_on_second  # type: ignore[method-assign]
    forwarder.run_once()
    with pytest.raises(KeyboardInterrupt):
        forwarder.run_once()
    assert len(target.all_ids()) == 20  # the second batch reached the target ...
    assert forwarder.fwd.get_destination("central").watermark == 10  # ... but was not recorded
    forwarder.fwd.save_destination = real_save  # type: ignore[method-assign]
    drain(forwarder)
    same_statements(store, target.store)
    posts = [s for m, s in target.requests if m == "POST"]
    assert posts == [200, 200, 200, 200]  # batch two sent twice, accepted as already there


def test_dead_letters_after_max_attempts_then_retry(
    store: Any, tmp_path: Path, clock: FakeClock
) -> None:
    forwarder, target = setup(store, tmp_path, clock, batch_size=5)
    post(store, [statement(n) for n in range(5)], clock)
    target.down = True
    for _ in range(4):
        forwarder.run_once()
        clock.advance(10)
    dest = forwarder.fwd.get_destination("central")
    dead = forwarder.fwd.list_dead("central")
    assert len(dead) == 5 and dead[0].attempts == 4
    assert dest.watermark == forwarder.fwd.max_seq() and dest.attempts == 0
    assert "connection refused" in dead[0].error
    post(store, [statement(9)], clock)
    target.down = False
    clock.advance(10)
    drain(forwarder)
    assert target.all_ids() == [statement(9)["id"]]  # the dead ones wait for an operator
    assert forwarder.fwd.queue_retries("central") == 5
    assert forwarder.status(forwarder.fwd.get_destination("central")).queued_retries == 5
    forwarder.run_once()
    assert forwarder.fwd.list_dead("central") == []
    same_statements(store, target.store)


def test_filters_and_voids_follow_their_target(
    store: Any, tmp_path: Path, clock: FakeClock
) -> None:
    keep = "http://example.org/verbs/keep"
    forwarder, target = setup(
        store, tmp_path, clock, verb=keep, activity_prefix="http://example.org/act/"
    )
    post(
        store, [statement(n, verb=keep if n % 2 else "http://x.org/drop") for n in range(10)], clock
    )
    post(store, [voiding(10, 1), voiding(11, 2)], clock)  # 1 kept -> its void too; 2 dropped
    drain(forwarder)
    sent = sorted(target.all_ids())
    expected = sorted([statement(n)["id"] for n in (1, 3, 5, 7, 9)] + [voiding(10, 1)["id"]])
    assert sent == expected
    assert target.store.get_by_ids([statement(1)["id"]])[statement(1)["id"]].voided


def test_conflicting_batch_falls_back_to_one_by_one(
    store: Any, tmp_path: Path, clock: FakeClock
) -> None:
    forwarder, target = setup(store, tmp_path, clock)
    post(target.store, [statement(2, verb="http://x.org/other")], clock)  # same id, other body
    post(store, [statement(n) for n in range(4)], clock)
    drain(forwarder)
    assert sorted(target.all_ids()) == sorted(statement(n)["id"] for n in range(4))
    assert ("POST", 409) in target.requests and ("PUT", 409) in target.requests
    assert forwarder.fwd.get_destination("central").delivered == 4


def test_attachments_go_as_multipart(store: Any, tmp_path: Path, clock: FakeClock) -> None:
    forwarder, target = setup(store, tmp_path, clock)
    content = b"certificate bytes"
    sha = hashlib.sha256(content).hexdigest()
    meta = {
        "usageType": "http://example.org/usage/cert",
        "display": {"en": "certificate"},
        "contentType": "text/plain",
        "length": len(content),
        "sha2": sha,
    }
    post(store, [statement(0, attachments=[meta])], clock, [Attachment(sha, "text/plain", content)])
    drain(forwarder)
    assert target.store.get_attachments([sha])[sha].content == content
    same_statements(store, target.store)


def _delete_seq(store: Any, seq: int) -> None:
    if hasattr(store, "db"):
        store.db.statements.delete_one({"seq": seq})
    else:
        conn = store._conn()
        conn.execute("DELETE FROM statements WHERE seq = ?", (seq,))


def test_a_gap_in_the_sequence_holds_delivery_until_it_settles(
    store: Any, tmp_path: Path, clock: FakeClock
) -> None:
    forwarder, target = setup(store, tmp_path, clock, batch_size=10)
    post(store, [statement(n) for n in range(5)], clock)
    _delete_seq(store, 3)  # a batch still committing elsewhere looks like this gap
    assert forwarder.run_once() == 2
    assert forwarder.fwd.get_destination("central").watermark == 2
    clock.advance(30)
    assert forwarder.run_once() == 0  # younger than LRS_FORWARD_SETTLE_S
    clock.advance(31)
    assert forwarder.run_once() == 2  # settled: taken as final (erased / rolled back)
    assert len(target.all_ids()) == 4
