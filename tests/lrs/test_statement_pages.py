"""``GET /statements`` pages in ``format=exact`` splice the statements' stored JSON
(:meth:`SQLiteStore.query_json`) instead of parsing and re-serialising them: the answer must be
the same document, headers and ``more`` links as the parsing path gives."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient

from statements.query import StatementQuery
from statements.store.sqlite import SQLiteStore
from tests.factories import make_statement

BIG = 2**70  # beyond 64 bits: orjson would read it as a float


def _statements() -> list[dict[str, Any]]:
    out = []
    for n in range(5):
        s = make_statement(id=str(uuid.UUID(int=n + 1)))
        s["result"] = {"extensions": {"http://example.org/big": BIG + n, "http://e.org/t": "é ✓"}}
        out.append(s)
    return out


def _pages(client: FlaskClient, headers: dict[str, str], **params: Any) -> list[Any]:
    pages = [client.get(f"/xapi/statements?{urlencode(params)}", headers=headers)]
    while pages[-1].get_json()["more"]:
        pages.append(client.get(pages[-1].get_json()["more"], headers=headers))
    return pages


@pytest.mark.parametrize("params", [{"limit": 2}, {"limit": 2, "format": "exact"}, {}])
def test_spliced_pages_equal_parsed_pages(
    client: FlaskClient,
    headers: dict[str, str],
    store: Any,
    monkeypatch: pytest.MonkeyPatch,
    params: dict[str, Any],
) -> None:
    assert client.post("/xapi/statements", json=_statements(), headers=headers).status_code == 200
    spliced = _pages(client, headers, **params)
    monkeypatch.delattr(type(store), "query_json", raising=False)
    parsed = _pages(client, headers, **params)
    assert len(spliced) == len(parsed) == (3 if params.get("limit") else 1)
    for a, b in zip(spliced, parsed, strict=True):
        assert a.status_code == b.status_code == 200
        assert a.mimetype == "application/json"
        assert json.loads(a.data) == json.loads(b.data)
        assert a.headers["Last-Modified"] == b.headers["Last-Modified"]
        assert "X-Experience-API-Consistent-Through" in a.headers
    seen = [s for page in spliced for s in page.get_json()["statements"]]
    assert sorted(s["result"]["extensions"]["http://example.org/big"] for s in seen) == [
        BIG + n for n in range(5)
    ]


def test_query_json_matches_query(tmp_path: Any) -> None:
    store = SQLiteStore(tmp_path / "lrs.db")
    store.init()
    from statements.prepare import prepare

    records = [
        prepare(s, authority={"mbox": "mailto:a@example.org"}, api_version="1.0.3", now_us=n)
        for n, s in enumerate(_statements(), start=1_000)
    ]
    store.insert(records, [])
    for query in (StatementQuery(limit=2), StatementQuery(limit=10, ascending=True)):
        page, raw = store.query(query), store.query_json(query)
        assert [json.loads(b) for b in raw.bodies] == [r.body for r in page.records]
        assert raw.next_after == page.next_after
        assert raw.snapshot_seq == page.snapshot_seq
        assert raw.last_stored_us == max(r.stored_us for r in page.records)
    empty = store.query_json(StatementQuery(verb="http://example.org/none"))
    assert empty.bodies == [] and empty.last_stored_us is None and empty.next_after is None
