"""The Statement resource over HTTP: writes, conflicts, batches, queries, paging, voiding."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

from flask.testing import FlaskClient

from tests.factories import make_statement

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def sid(n: int) -> str:
    return str(uuid.UUID(int=n + 1))


def post(client: FlaskClient, headers: dict[str, str], body: Any) -> Any:
    return client.post("/xapi/statements", json=body, headers=headers)


def get(client: FlaskClient, headers: dict[str, str], **params: Any) -> Any:
    return client.get(f"/xapi/statements?{urlencode(params)}", headers=headers)


def test_post_single_returns_id_and_sets_lrs_properties(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    resp = post(client, headers, make_statement())
    assert resp.status_code == 200
    [new_id] = resp.get_json()
    uuid.UUID(new_id)
    got = get(client, headers, statementId=new_id)
    assert got.status_code == 200
    body = got.get_json()
    assert body["id"] == new_id
    assert body["stored"].endswith("Z")
    assert body["timestamp"] == body["stored"]
    assert body["version"] == "1.0.0"
    assert body["authority"]["account"]["name"] == "key0"
    assert got.headers["Last-Modified"].endswith("GMT")
    assert got.headers["X-Experience-API-Version"] == "1.0.3"
    assert "X-Experience-API-Consistent-Through" in got.headers


def test_version_20_sets_statement_version(client: FlaskClient, headers2: dict[str, str]) -> None:
    [new_id] = post(client, headers2, make_statement()).get_json()
    body = get(client, headers2, statementId=new_id).get_json()
    assert body["version"] == "2.0.0"
    assert get(client, headers2, statementId=new_id).headers["X-Experience-API-Version"] == "2.0.0"


def test_version_header_required_and_checked(client: FlaskClient, headers: dict[str, str]) -> None:
    missing = {k: v for k, v in headers.items() if k != "X-Experience-API-Version"}
    resp = get(client, missing)
    assert resp.status_code == 400
    assert resp.get_json()["errors"][0]["path"] == "X-Experience-API-Version"
    assert get(client, {**headers, "X-Experience-API-Version": "1.1.0"}).status_code == 400
    assert get(client, {**headers, "X-Experience-API-Version": "1.0.1"}).status_code == 200
    assert client.get("/xapi/about").status_code == 200


def test_batch_is_all_or_nothing(client: FlaskClient, headers: dict[str, str]) -> None:
    good = make_statement(id=sid(1))
    bad = make_statement(id=sid(2), verb={"id": "not an iri"})
    resp = post(client, headers, [good, bad])
    assert resp.status_code == 400
    err = resp.get_json()
    assert err["status"] == 400 and err["errors"][0]["path"].startswith("$[1]")
    assert get(client, headers, statementId=sid(1)).status_code == 404


def test_batch_with_repeated_id_is_refused(client: FlaskClient, headers: dict[str, str]) -> None:
    resp = post(client, headers, [make_statement(id=sid(1)), make_statement(id=sid(1))])
    assert resp.status_code == 400
    assert get(client, headers, statementId=sid(1)).status_code == 404


def test_same_id_same_content_accepted_different_content_409(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    statement = make_statement(id=sid(1))
    assert post(client, headers, statement).status_code == 200
    first = get(client, headers, statementId=sid(1)).get_json()
    assert post(client, headers, statement).status_code == 200
    assert get(client, headers, statementId=sid(1)).get_json() == first
    changed = make_statement(id=sid(1), verb={"id": "http://example.org/verbs/other"})
    resp = post(client, headers, changed)
    assert resp.status_code == 409
    assert get(client, headers, statementId=sid(1)).get_json() == first
    batch = post(client, headers, [make_statement(id=sid(7)), changed])
    assert batch.status_code == 409
    assert get(client, headers, statementId=sid(7)).status_code == 404


def test_put_statement(client: FlaskClient, headers: dict[str, str]) -> None:
    url = f"/xapi/statements?statementId={sid(3)}"
    assert client.put(url, json=make_statement(), headers=headers).status_code == 204
    assert get(client, headers, statementId=sid(3)).status_code == 200
    assert client.put(url, json=make_statement(), headers=headers).status_code == 204
    other = make_statement(verb={"id": "http://example.org/verbs/other"})
    assert client.put(url, json=other, headers=headers).status_code == 409
    mismatch = client.put(url, json=make_statement(id=sid(4)), headers=headers)
    assert mismatch.status_code == 400
    no_id = client.put("/xapi/statements", json=make_statement(), headers=headers)
    assert no_id.status_code == 400


def test_bad_json_is_400_not_500(client: FlaskClient, headers: dict[str, str]) -> None:
    resp = client.post(
        "/xapi/statements",
        data=b"{not json",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert resp.status_code == 400
    assert resp.get_json()["errors"][0]["rule"] == "json"


def test_query_filters_and_formats(client: FlaskClient, headers: dict[str, str]) -> None:
    agent = {"objectType": "Agent", "mbox": "mailto:x@example.org", "name": "X"}
    s1 = make_statement(id=sid(1), actor=agent)
    s2 = make_statement(id=sid(2))
    post(client, headers, [s1, s2])
    page = get(client, headers, agent=json.dumps({"mbox": "mailto:x@example.org"})).get_json()
    assert [s["id"] for s in page["statements"]] == [sid(1)]
    assert page["more"] == ""
    ids_fmt = get(client, headers, statementId=sid(1), format="ids").get_json()
    assert "name" not in ids_fmt["actor"]
    assert get(client, headers, format="weird").status_code == 400
    assert get(client, headers, unknown="1").status_code == 400
    assert get(client, headers, statementId=sid(1), verb="http://x.org/v").status_code == 400


def test_more_pages_are_stable_while_statements_arrive(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    post(client, headers, [make_statement(id=sid(n)) for n in range(5)])
    seen: list[str] = []
    page = get(client, headers, limit=2).get_json()
    post(client, headers, make_statement(id=sid(50)))
    while True:
        seen += [s["id"] for s in page["statements"]]
        if not page["more"]:
            break
        assert page["more"].startswith("/xapi/statements?more=")
        page = client.get(page["more"], headers=headers).get_json()
    assert sorted(seen) == sorted(sid(n) for n in range(5))
    assert len(seen) == len(set(seen))


def test_tampered_more_token_is_400(client: FlaskClient, headers: dict[str, str]) -> None:
    assert client.get("/xapi/statements?more=abc.def", headers=headers).status_code == 400


def test_voiding(client: FlaskClient, headers: dict[str, str]) -> None:
    post(client, headers, make_statement(id=sid(1)))
    voiding = make_statement(
        id=sid(2), verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": sid(1)}
    )
    assert post(client, headers, voiding).status_code == 200
    assert get(client, headers, statementId=sid(1)).status_code == 404
    assert get(client, headers, voidedStatementId=sid(1)).status_code == 200
    assert get(client, headers, voidedStatementId=sid(2)).status_code == 404
    listed = [s["id"] for s in get(client, headers).get_json()["statements"]]
    assert listed == [sid(2)]
    by_verb = get(client, headers, verb="http://adlnet.gov/expapi/verbs/completed").get_json()
    assert [s["id"] for s in by_verb["statements"]] == [sid(2)]
    void_void = make_statement(
        id=sid(3), verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": sid(2)}
    )
    assert post(client, headers, void_void).status_code == 400


def test_head_matches_get(client: FlaskClient, headers: dict[str, str]) -> None:
    post(client, headers, make_statement(id=sid(1)))
    resp = client.head(f"/xapi/statements?statementId={sid(1)}", headers=headers)
    assert resp.status_code == 200 and resp.data == b""
    assert "X-Experience-API-Consistent-Through" in resp.headers


def test_alternate_request_syntax_for_103(client: FlaskClient, headers: dict[str, str]) -> None:
    form = {
        "Authorization": headers["Authorization"],
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
        "content": json.dumps(make_statement()),
        "statementId": sid(9),
    }
    resp = client.post("/xapi/statements?method=PUT", data=form)
    assert resp.status_code == 204
    assert get(client, headers, statementId=sid(9)).status_code == 200
    extra = client.post("/xapi/statements?method=PUT&statementId=x", data=form)
    assert extra.status_code == 400
    form2 = {**form, "X-Experience-API-Version": "2.0.0", "statementId": sid(10)}
    assert client.post("/xapi/statements?method=PUT", data=form2).status_code == 400


def test_error_shape(client: FlaskClient, headers: dict[str, str]) -> None:
    body = post(client, headers, {"actor": {}}).get_json()
    assert set(body) == {"error", "errors", "status"}
    assert all(set(e) == {"path", "rule", "message"} for e in body["errors"])


def test_missing_version_error_speaks_the_clients_last_version(
    client: FlaskClient, headers: dict[str, str], headers2: dict[str, str]
) -> None:
    no_version = {"Authorization": headers["Authorization"]}
    first = get(client, no_version)
    assert first.status_code == 400
    assert first.headers["X-Experience-API-Version"] == "2.0.0"  # nothing known yet: newest
    assert get(client, headers).status_code == 200
    assert get(client, no_version).headers["X-Experience-API-Version"] == "1.0.3"
    no_version2 = {"Authorization": headers2["Authorization"]}
    assert get(client, headers2).status_code == 200
    assert get(client, no_version2).headers["X-Experience-API-Version"] == "2.0.0"
