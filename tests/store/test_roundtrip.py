"""Every valid statement round-trips exactly on every backend: dotted and ``$`` keys included."""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statements.prepare import prepare
from statements.query import StatementQuery

AUTH = {"objectType": "Agent", "account": {"homePage": "http://lrs.test", "name": "k"}}
T0 = 1_767_225_600_000_000

EXTENSIONS = {
    "http://example.org/ext/score.v2.raw": {"a.b": 1, "$c": [1, 2.5, None]},
    "$where": "dots.and.$dollars",
    "$": {"$$": {"x.y": {"$gt": 1}}},
    "http://example.org/ext/empty": {},
    "http://example.org/ext/..": "two dots",
}
# Valid for the xAPI validator: extension keys are IRIs, ``$`` keys live in extension values.
VALID_EXTENSIONS = {
    "http://example.org/ext/score.v2.raw": {"a.b": 1, "$c": [1, 2.5, None]},
    "urn:x.y.z": {"$where": "dots.and.$dollars", "$": {"$$": {"x.y": {"$gt": 1}}}},
    "http://example.org/ext/..": "two dots",
}
LANG_MAP = {"en-US": "Drill", "zh-Hant-TW": "演習", "x-klingon": "qaStaH", "und": "?"}


def tricky(n: int, extensions: dict[str, Any] = EXTENSIONS) -> dict[str, Any]:
    return {
        "id": str(uuid.UUID(int=n + 1)),
        "actor": {"mbox": "mailto:learner@example.org", "name": "Lee"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": LANG_MAP},
        "object": {
            "id": "http://example.org/activities/code-blue",
            "definition": {"name": LANG_MAP, "extensions": extensions},
        },
        "result": {"score": {"scaled": 0.875}, "extensions": extensions},
        "context": {"extensions": extensions, "language": "en-US"},
    }


def test_dotted_and_dollar_keys_round_trip_in_the_store(store: Any) -> None:
    record = prepare(tricky(0), authority=AUTH, api_version="1.0.3", now_us=T0)
    expected = json.dumps(record.body, ensure_ascii=False)
    store.insert([record], [])
    got = store.get_by_ids([record.id])[record.id].body
    assert json.dumps(got, ensure_ascii=False) == expected  # same keys, values and key order
    (page_rec,) = store.query(StatementQuery(limit=5)).records
    assert json.dumps(page_rec.body, ensure_ascii=False) == expected
    (exported,) = next(store.iter_since(0))
    assert exported.body == record.body


def test_dotted_and_dollar_keys_round_trip_over_the_api(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    sent = tricky(1, VALID_EXTENSIONS)
    assert client.post("/xapi/statements", json=sent, headers=headers).status_code == 200
    got = client.get(f"/xapi/statements?statementId={sent['id']}", headers=headers).get_json()
    for prop in ("verb", "object", "result", "context"):
        assert got[prop] == sent[prop]
    assert list(got["result"]["extensions"]) == list(VALID_EXTENSIONS)


KEYS = st.text(min_size=1, max_size=12).filter(lambda k: "\x00" not in k)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=8,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(extensions=st.dictionaries(KEYS, JSON_VALUES, max_size=4), seed=st.integers(0, 2**60))
def test_any_extension_keys_round_trip(store: Any, extensions: dict[str, Any], seed: int) -> None:
    body = tricky(0)
    body["id"] = str(uuid.UUID(int=seed + 10))
    body["result"] = {"extensions": extensions}
    record = prepare(body, authority=AUTH, api_version="1.0.3", now_us=T0)
    if store.get_by_ids([record.id]):
        return
    expected = json.dumps(record.body, ensure_ascii=False)
    store.insert([record], [])
    got = store.get_by_ids([record.id])[record.id].body
    assert json.dumps(got, ensure_ascii=False) == expected
