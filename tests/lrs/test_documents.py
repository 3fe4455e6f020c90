"""The State, Activity Profile and Agent Profile resources over HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient

from tests.conftest import FakeClock

ACT = "http://example.org/activities/a1"
AGENT = {"objectType": "Agent", "account": {"homePage": "http://example.org", "name": "u1"}}
REG = "6f1b7d4e-9c7a-4b8e-8f00-0123456789ab"
STATE = "/xapi/activities/state"
ACT_PROFILE = "/xapi/activities/profile"
AGENT_PROFILE = "/xapi/agents/profile"
ETAG = re.compile(r'^"[0-9a-f]{40}"$')
Headers = dict[str, str]


def q(**params: Any) -> str:
    return "?" + urlencode(
        {k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()}
    )


def state(**extra: Any) -> str:
    params: dict[str, Any] = {"activityId": ACT, "agent": AGENT, "stateId": "s1"}
    params.update(extra)
    return STATE + q(**{k: v for k, v in params.items() if v is not None})


def aprof(**extra: Any) -> str:
    params: dict[str, Any] = {"activityId": ACT, "profileId": "p1", **extra}
    return ACT_PROFILE + q(**{k: v for k, v in params.items() if v is not None})


def gprof(**extra: Any) -> str:
    params: dict[str, Any] = {"agent": AGENT, "profileId": "p1", **extra}
    return AGENT_PROFILE + q(**{k: v for k, v in params.items() if v is not None})


def with_(headers: Headers, **extra: str) -> Headers:
    return {**headers, **{k.replace("_", "-"): v for k, v in extra.items()}}


# -- single documents --------------------------------------------------------------------------


def test_state_roundtrip_with_etag_last_modified_and_version(
    client: FlaskClient, headers: Headers
) -> None:
    put = client.put(state(), json={"a": 1}, headers=headers)
    assert put.status_code == 204
    assert put.data == b""
    got = client.get(state(), headers=headers)
    assert got.status_code == 200
    assert got.get_json() == {"a": 1}
    assert got.headers["Content-Type"] == "application/json"
    assert ETAG.match(got.headers["ETag"])
    assert got.headers["ETag"] == put.headers["ETag"]
    assert got.headers["Last-Modified"].endswith(" GMT")
    assert got.headers["X-Experience-API-Version"] == "1.0.3"


@pytest.mark.parametrize("url", [state(), aprof(), gprof()])
def test_binary_document_byte_for_byte(client: FlaskClient, headers: Headers, url: str) -> None:
    raw = bytes(range(256)) * 3
    ctype = "application/octet-stream"
    resp = client.put(url, data=raw, headers=with_(headers, If_None_Match="*", Content_Type=ctype))
    assert resp.status_code == 204
    got = client.get(url, headers=headers)
    assert got.data == raw
    assert got.headers["Content-Type"] == ctype


def test_text_content_type_preserved(client: FlaskClient, headers: Headers) -> None:
    ctype = "text/plain; charset=iso-8859-1"
    client.post(state(), data=b"caf\xe9", headers=with_(headers, Content_Type=ctype))
    got = client.get(state(), headers=headers)
    assert (got.data, got.headers["Content-Type"]) == (b"caf\xe9", ctype)


def test_missing_document_is_404(client: FlaskClient, headers: Headers) -> None:
    assert client.get(state(stateId="nope"), headers=headers).status_code == 404
    assert client.get(aprof(profileId="nope"), headers=headers).status_code == 404


def test_head_has_headers_and_no_body(client: FlaskClient, headers: Headers) -> None:
    client.post(gprof(), json={"a": 1}, headers=headers)
    resp = client.head(gprof(), headers=headers)
    assert resp.status_code == 200
    assert resp.data == b""
    assert ETAG.match(resp.headers["ETag"])


def test_registration_separates_state(client: FlaskClient, headers: Headers) -> None:
    client.put(state(registration=REG), json={"r": 1}, headers=headers)
    assert client.get(state(), headers=headers).status_code == 404
    assert client.get(state(registration=REG.upper()), headers=headers).get_json() == {"r": 1}


# -- parameters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "param"),
    [
        (state(activityId=None), "activityId"),
        (state(agent=None), "agent"),
        (state(stateId=None), "stateId"),
        (state(activityId="true"), "activityId"),
        (state(activityId="not an iri"), "activityId"),
        (state(agent="not JSON"), "agent"),
        (state(agent="true"), "agent"),
        (state(agent={"objectType": "Agent", "name": "no ifi"}), "agent"),
        (state(agent={"mbox": "not-a-mailto"}), "agent"),
        (state(registration="true"), "registration"),
        (state(stateid="x"), "stateid"),
        (aprof(profileId=None), "profileId"),
        (aprof(agent=AGENT), "agent"),
        (gprof(agent=None), "agent"),
        (gprof(profileId=""), "profileId"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(
    client: FlaskClient, headers: Headers, url: str, param: str
) -> None:
    for method in ("put", "post"):
        resp = getattr(client, method)(
            url, json={"a": 1}, headers=with_(headers, If_None_Match="*")
        )
        assert resp.status_code == 400, (method, url)
        body = resp.get_json()
        assert body["status"] == 400
        assert any(e["path"].startswith(param) for e in body["errors"]), body


def test_get_and_delete_validate_parameters_too(client: FlaskClient, headers: Headers) -> None:
    assert client.get(state(agent=None), headers=headers).status_code == 400
    assert client.delete(state(activityId=None), headers=headers).status_code == 400
    assert client.delete(state(registration="x"), headers=headers).status_code == 400
    assert (
        client.get(state(stateId=None, since="not a timestamp"), headers=headers).status_code == 400
    )
    assert client.delete(state(since="2020-01-01T00:00:00Z"), headers=headers).status_code == 400
    assert client.delete(aprof(profileId=None), headers=headers).status_code == 400
    assert client.delete(gprof(profileId=None), headers=headers).status_code == 400
    assert (
        client.get(STATE + "?activityId=" + ACT + "&activityId=" + ACT, headers=headers).status_code
        == 400
    )


def test_broken_agent_encoding_is_400(client: FlaskClient, headers: Headers) -> None:
    url = (
        STATE + q(activityId=ACT, stateId="s") + "&agent=" + json.dumps(AGENT).replace(":", '"', 1)
    )
    assert client.post(url, json={"a": 1}, headers=headers).status_code == 400


def test_group_agent_allowed_in_2_0_only(
    client: FlaskClient, headers: Headers, headers2: Headers
) -> None:
    group = {"objectType": "Group", "mbox": "mailto:team@example.org"}
    assert client.put(state(agent=group), json={}, headers=headers).status_code == 400
    assert client.put(state(agent=group), json={}, headers=headers2).status_code == 204


def test_mbox_case_of_domain_addresses_same_document(client: FlaskClient, headers: Headers) -> None:
    client.put(state(agent={"mbox": "mailto:Lee@Example.ORG"}), json={"a": 1}, headers=headers)
    got = client.get(state(agent={"mbox": "mailto:Lee@example.org"}), headers=headers)
    assert got.get_json() == {"a": 1}


# -- concurrency --------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [aprof(), gprof()])
def test_profile_put_concurrency(client: FlaskClient, headers: Headers, url: str) -> None:
    assert client.put(url, json={"v": 0}, headers=headers).status_code == 400  # no header, new
    assert client.get(url, headers=headers).status_code == 404
    assert (
        client.put(url, json={"v": 1}, headers=with_(headers, If_None_Match="*")).status_code == 204
    )
    assert (
        client.put(url, json={"v": 2}, headers=with_(headers, If_None_Match="*")).status_code == 412
    )
    conflict = client.put(url, json={"v": 3}, headers=headers)
    assert conflict.status_code == 409
    assert "If-Match" in conflict.get_json()["error"]
    bad = with_(headers, If_Match='"1111111111111111111111111111111111111111"')
    assert client.put(url, json={"v": 4}, headers=bad).status_code == 412
    got = client.get(url, headers=headers)
    assert got.get_json() == {"v": 1}
    good = with_(headers, If_Match=got.headers["ETag"])
    assert client.put(url, json={"v": 5}, headers=good).status_code == 204
    assert client.get(url, headers=headers).get_json() == {"v": 5}
    weak = with_(headers, If_Match="W/" + client.get(url, headers=headers).headers["ETag"])
    assert client.put(url, json={"v": 6}, headers=weak).status_code == 412
    assert client.put(url, json={"v": 7}, headers=with_(headers, If_Match="*")).status_code == 204


def test_state_put_without_headers_1_0_3_overwrites(client: FlaskClient, headers: Headers) -> None:
    assert client.put(state(), json={"v": 1}, headers=headers).status_code == 204
    assert client.put(state(), json={"v": 2}, headers=headers).status_code == 204
    assert client.get(state(), headers=headers).get_json() == {"v": 2}


def test_state_put_without_headers_2_0_conflicts(client: FlaskClient, headers2: Headers) -> None:
    assert client.put(state(), json={"v": 1}, headers=headers2).status_code == 204
    resp = client.put(state(), json={"v": 2}, headers=headers2)
    assert resp.status_code == 409
    assert resp.headers["X-Experience-API-Version"] == "2.0.0"
    got = client.get(state(), headers=headers2)
    assert got.get_json() == {"v": 1}
    good = with_(headers2, If_Match=got.headers["ETag"])
    assert client.put(state(), json={"v": 3}, headers=good).status_code == 204


@pytest.mark.parametrize("url", [state(), aprof(), gprof()])
def test_post_and_delete_honour_if_match(client: FlaskClient, headers: Headers, url: str) -> None:
    client.post(url, json={"name": "a"}, headers=headers)
    etag = client.get(url, headers=headers).headers["ETag"]
    bad = with_(headers, If_Match='"1234"')
    assert client.post(url, json={"name": "b"}, headers=bad).status_code == 412
    assert client.delete(url, headers=bad).status_code == 412
    assert client.get(url, headers=headers).get_json() == {"name": "a"}
    good = with_(headers, If_Match=etag)
    assert client.post(url, json={"name": "b"}, headers=good).status_code == 204
    assert client.get(url, headers=headers).get_json() == {"name": "b"}
    star = with_(headers, If_None_Match="*")
    assert client.post(url, json={"name": "c"}, headers=star).status_code == 412
    etag = client.get(url, headers=headers).headers["ETag"]
    assert client.delete(url, headers=with_(headers, If_Match=etag)).status_code == 204
    assert client.get(url, headers=headers).status_code == 404
    assert client.delete(url, headers=headers).status_code == 204


# -- POST merge ---------------------------------------------------------------------------------


def test_post_merges_top_level_properties(client: FlaskClient, headers: Headers) -> None:
    first = {"car": {"make": "Ford", "model": "Escape"}, "driver": "Dale", "x": 1}
    second = {"car": {"make": "Dodge"}, "driver": "Jeff", "z": 2}
    assert client.post(state(), json=first, headers=headers).status_code == 204
    assert client.post(state(), json=second, headers=headers).status_code == 204
    got = client.get(state(), headers=headers)
    assert got.get_json() == {"car": {"make": "Dodge"}, "driver": "Jeff", "x": 1, "z": 2}
    assert got.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("first", "first_type", "second", "second_type"),
    [
        (b'{"a":1}', "application/json", b"abcdefg", "not/json"),
        (b'{"a":1}', "application/json", b"abc", "application/x-www-form-urlencoded"),
        (b"/ asdf / undefined", "application/octet-stream", b'{"b":2}', "application/json"),
        (b'{"a":1}', "application/json", b'{"b":2}{', "application/json"),
        (b'{"a":1}', "application/json", b"[1]", "application/json"),
    ],
)
@pytest.mark.parametrize("url", [state(), aprof(), gprof()])
def test_post_merge_refusals_change_nothing(
    client: FlaskClient,
    headers: Headers,
    url: str,
    first: bytes,
    first_type: str,
    second: bytes,
    second_type: str,
) -> None:
    put = with_(headers, Content_Type=first_type, If_None_Match="*")
    assert client.put(url, data=first, headers=put).status_code == 204
    before = client.get(url, headers=headers)
    resp = client.post(url, data=second, headers=with_(headers, Content_Type=second_type))
    assert resp.status_code == 400
    after = client.get(url, headers=headers)
    assert (after.data, after.headers["ETag"]) == (before.data, before.headers["ETag"])
    assert after.headers["Content-Type"] == first_type


def test_invalid_json_body_is_refused_on_put(client: FlaskClient, headers: Headers) -> None:
    resp = client.put(
        state(), data=b"{nope", headers=with_(headers, Content_Type="application/json")
    )
    assert resp.status_code == 400


def test_post_to_new_document_stores_it(client: FlaskClient, headers: Headers) -> None:
    resp = client.post(aprof(), data=b"plain", headers=with_(headers, Content_Type="text/plain"))
    assert resp.status_code == 204
    assert client.get(aprof(), headers=headers).data == b"plain"


# -- id lists, since, Last-Modified ------------------------------------------------------------


def test_id_lists_and_since(client: FlaskClient, headers: Headers, clock: FakeClock) -> None:
    client.put(aprof(profileId="old"), json={}, headers=with_(headers, If_None_Match="*"))
    clock.advance(60)
    since = "2026-01-01T00:00:30Z"  # between the two writes (the clock starts at 2026-01-01)
    client.put(aprof(profileId="new"), json={}, headers=with_(headers, If_None_Match="*"))
    listed = client.get(aprof(profileId=None), headers=headers)
    assert sorted(listed.get_json()) == ["new", "old"]
    assert ETAG.match(listed.headers["ETag"])
    newest = client.get(aprof(profileId="new"), headers=headers).headers["Last-Modified"]
    assert listed.headers["Last-Modified"] == newest
    assert client.get(aprof(profileId=None, since=since), headers=headers).get_json() == ["new"]
    empty = client.get(aprof(profileId=None, activityId=ACT + "/none"), headers=headers)
    assert (empty.status_code, empty.get_json()) == (200, [])


def test_agent_profile_ids(client: FlaskClient, headers: Headers) -> None:
    client.post(gprof(profileId="a"), json={}, headers=headers)
    client.post(gprof(profileId="b"), json={}, headers=headers)
    assert sorted(client.get(gprof(profileId=None), headers=headers).get_json()) == ["a", "b"]


def test_last_modified_moves_on_update(
    client: FlaskClient, headers2: Headers, clock: FakeClock
) -> None:
    client.post(gprof(), json={"a": 1}, headers=headers2)
    before = client.get(gprof(), headers=headers2).headers["Last-Modified"]
    clock.advance(2)
    client.post(gprof(), json={"a": 2}, headers=headers2)
    after = client.get(gprof(), headers=headers2).headers["Last-Modified"]
    assert before != after


def test_delete_all_state(client: FlaskClient, headers: Headers) -> None:
    client.put(state(stateId="a"), json={}, headers=headers)
    client.put(state(stateId="b", registration=REG), json={}, headers=headers)
    client.put(state(stateId="c", activityId=ACT + "/x"), json={}, headers=headers)
    assert client.delete(state(stateId=None, registration=REG), headers=headers).status_code == 204
    assert client.get(state(stateId=None), headers=headers).get_json() == ["a"]
    client.put(state(stateId="b", registration=REG), json={}, headers=headers)
    assert client.delete(state(stateId=None), headers=headers).status_code == 204
    assert client.get(state(stateId=None), headers=headers).get_json() == []
    assert client.get(state(stateId=None, activityId=ACT + "/x"), headers=headers).get_json() == [
        "c"
    ]


# -- scopes and alternate syntax ----------------------------------------------------------------


def test_scopes(client: FlaskClient, credential: Callable[..., Headers]) -> None:
    state_only = credential("state")
    profile_only = credential("profile")
    reader = credential("all/read")
    writer = credential("statements/write")
    assert client.put(state(), json={}, headers=state_only).status_code == 204
    assert client.put(state(), json={}, headers=profile_only).status_code == 403
    star = with_(profile_only, If_None_Match="*")
    assert client.put(aprof(), json={}, headers=star).status_code == 204
    assert (
        client.put(gprof(), json={}, headers=with_(state_only, If_None_Match="*")).status_code
        == 403
    )
    assert client.get(state(), headers=reader).status_code == 200
    assert client.delete(state(), headers=reader).status_code == 403
    assert client.get(aprof(), headers=writer).status_code == 403
    assert client.get(state(), headers={"X-Experience-API-Version": "1.0.3"}).status_code == 401


def test_alternate_syntax_put_state(client: FlaskClient, headers: Headers) -> None:
    form = {
        "Authorization": headers["Authorization"],
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
        "activityId": ACT,
        "agent": json.dumps(AGENT),
        "stateId": "alt",
        "content": '{"alt": true}',
    }
    resp = client.post(STATE + "?method=PUT", data=form)
    assert resp.status_code == 204
    assert client.get(state(stateId="alt"), headers=headers).get_json() == {"alt": True}
