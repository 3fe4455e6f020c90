"""LRS-set properties: the per-request context and the canonical statement id."""

from __future__ import annotations

import uuid

import pytest

from statements.ingest import prepare_batch
from statements.prepare import canonical_id, prepare

AUTH = {"objectType": "Agent", "account": {"homePage": "http://lrs.test", "name": "k"}}
T0 = 1_767_225_600_123_456
ID = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"


@pytest.mark.parametrize(
    "given",
    [
        ID,
        ID.upper(),
        "{" + ID + "}",
        "urn:uuid:" + ID,
        ID.replace("-", ""),
        "F81D4FAE-7dec-11D0-a765-00a0c91e6bf6",
    ],
)
def test_ids_are_stored_in_canonical_form(given: str) -> None:
    assert canonical_id(given) == str(uuid.UUID(given)) == ID


@pytest.mark.parametrize("bad", ["", "not-a-uuid", ID + "\n", ID[:-1] + "g"])
def test_non_uuids_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        canonical_id(bad)


def test_a_batch_gets_what_single_prepare_gives() -> None:
    bodies = [
        {"id": ID.upper(), "actor": {"mbox": "mailto:a@example.org"}, "verb": {"id": "http://v"},
         "object": {"id": "http://o"}},
        {"actor": {"mbox": "mailto:b@example.org"}, "verb": {"id": "http://v"},
         "object": {"id": "http://o"}, "timestamp": "2026-01-01T00:00:00Z", "version": "1.0.3"},
    ]  # fmt: skip
    batch = prepare_batch(bodies, authority=AUTH, api_version="2.0.0", now_us=T0)
    for body, got in zip(bodies, batch, strict=True):
        one = prepare(body, authority=AUTH, api_version="2.0.0", now_us=T0)
        if "id" not in body:  # an LRS-assigned id is random: compare the rest
            one.body["id"] = one.id = got.id
        assert got == one
    assert batch[0].body["stored"] == "2026-01-01T00:00:00.123Z"
    assert batch[0].body["version"] == "2.0.0" and batch[1].body["version"] == "1.0.3"
    assert batch[0].authority_key == "account:http://lrs.test|k"
