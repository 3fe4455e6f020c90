"""End-to-end with a real xAPI client library (TinCanPython) over HTTP.

Statements (save, query, ``more`` paging, single retrieval), State and Activity/Agent Profile
documents round-trip through the client's own API against a live server.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest
import tincan
from flask import Flask
from tincan import Activity, Agent, LanguageMap, RemoteLRS, Statement, Verb

from tests.live import serve

ACTIVITY = "http://example.org/activities/sepsis-bundle"
VERB = "http://adlnet.gov/expapi/verbs/completed"


def _client(base: str, headers: dict[str, str]) -> RemoteLRS:
    key, secret = base64.b64decode(headers["Authorization"].split()[1]).decode().split(":")
    return RemoteLRS(endpoint=f"{base}/xapi/", username=key, password=secret, version="1.0.3")


@pytest.fixture
def lrs_client(app: Flask, credential: Callable[..., dict[str, str]]):  # type: ignore[no-untyped-def]
    with serve(app) as base:
        yield _client(base, credential("all"))


def test_statements_round_trip_with_paging(lrs_client: RemoteLRS) -> None:
    saved = []
    for n in range(3):
        st = Statement(
            actor=Agent(mbox=f"mailto:nurse{n}@example.org", name=f"Nurse {n}"),
            verb=Verb(id=VERB, display=LanguageMap({"en-US": "completed"})),
            object=Activity(id=ACTIVITY),
        )
        resp = lrs_client.save_statement(st)
        assert resp.success, resp.data
        saved.append(resp.content.id)
    got = lrs_client.retrieve_statement(saved[0])
    assert got.success and str(got.content.actor.mbox) == "mailto:nurse0@example.org"
    first = lrs_client.query_statements({"verb": Verb(id=VERB), "limit": 2})
    assert first.success and len(first.content.statements) == 2 and first.content.more
    rest = lrs_client.more_statements(first.content)
    assert rest.success
    ids = [str(s.id) for s in first.content.statements + rest.content.statements]
    assert sorted(ids) == sorted(str(i) for i in saved)


def test_state_round_trip(lrs_client: RemoteLRS) -> None:
    agent = Agent(mbox="mailto:nurse@example.org")
    doc = tincan.StateDocument(
        activity=Activity(id=ACTIVITY),
        agent=agent,
        id="bookmark",
        content="page-3",
        content_type="text/plain",
    )
    assert lrs_client.save_state(doc).success
    got = lrs_client.retrieve_state(
        activity=Activity(id=ACTIVITY), agent=agent, state_id="bookmark"
    )
    assert got.success and bytes(got.content.content) == b"page-3"
    ids = lrs_client.retrieve_state_ids(activity=Activity(id=ACTIVITY), agent=agent)
    assert ids.success and list(ids.content) == ["bookmark"]
    assert lrs_client.delete_state(doc).success
    gone = lrs_client.retrieve_state(
        activity=Activity(id=ACTIVITY), agent=agent, state_id="bookmark"
    )
    assert gone.response.status == 404  # the client reports a missing document as "success"


def test_profiles_round_trip_with_etags(lrs_client: RemoteLRS) -> None:
    # Profiles need a precondition on PUT (Communication 3.1); the client sends If-Match from
    # the ETag it retrieved, so create with If-None-Match through the client's own request.
    activity = Activity(id=ACTIVITY)
    req = tincan.HTTPRequest(
        method="PUT",
        resource="activities/profile",
        headers={"If-None-Match": "*", "Content-Type": "application/json"},
        query_params={"activityId": ACTIVITY, "profileId": "settings"},
        content=json.dumps({"passmark": 0.8}),
    )
    assert lrs_client._send_request(req).success
    got = lrs_client.retrieve_activity_profile(activity=activity, profile_id="settings")
    assert got.success
    assert json.loads(bytes(got.content.content)) == {"passmark": 0.8}
    # TinCanPython 1.0 looks the ETag up in a list of header tuples on Python 3 and misses it;
    # take it from the raw response, then let the client send it back as If-Match.
    etag = got.response.getheader("ETag")
    assert etag and etag.startswith('"')
    doc = got.content
    doc.etag = etag
    doc.content = json.dumps({"passmark": 0.85})
    assert lrs_client.save_activity_profile(doc).success  # If-Match: the retrieved ETag
    stale = tincan.ActivityProfileDocument(
        activity=activity,
        id="settings",
        content="{}",
        content_type="application/json",
        etag=etag,
    )
    assert lrs_client.save_activity_profile(stale).response.status == 412
    again = lrs_client.retrieve_activity_profile(activity=activity, profile_id="settings")
    assert json.loads(bytes(again.content.content)) == {"passmark": 0.85}
    agent = Agent(mbox="mailto:nurse@example.org")
    agent_req = tincan.HTTPRequest(
        method="PUT",
        resource="agents/profile",
        headers={"If-None-Match": "*", "Content-Type": "text/plain"},
        query_params={"agent": agent.to_json(), "profileId": "prefs"},
        content="dark-mode",
    )
    assert lrs_client._send_request(agent_req).success
    agent_doc = lrs_client.retrieve_agent_profile(agent=agent, profile_id="prefs")
    assert agent_doc.success and bytes(agent_doc.content.content) == b"dark-mode"
