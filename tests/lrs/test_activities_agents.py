"""The Activities and Agents resources, and what the LRS learns from statements for them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask.testing import FlaskClient

from tests.factories import make_agent, make_statement

Headers = dict[str, str]
ACT = "http://www.example.com/meetings/occurances/34534"
DEFINITION = {
    "type": "http://adlnet.gov/expapi/activities/meeting",
    "name": {"en-GB": "example meeting", "en-US": "example meeting"},
    "description": {"en-US": "An example meeting."},
    "moreInfo": "http://virtualmeeting.example.com/345256",
    "extensions": {"http://example.com/ext/location": "X:\\meetings\\one"},
}


def activity(**definition: Any) -> dict[str, Any]:
    return {"objectType": "Activity", "id": ACT, "definition": definition or DEFINITION}


def get_activity(client: FlaskClient, headers: Headers, activity_id: str = ACT) -> Any:
    return client.get("/xapi/activities?" + urlencode({"activityId": activity_id}), headers=headers)


def get_agent(client: FlaskClient, headers: Headers, agent: Any) -> Any:
    raw = agent if isinstance(agent, str) else json.dumps(agent)
    return client.get("/xapi/agents?" + urlencode({"agent": raw}), headers=headers)


def post(client: FlaskClient, headers: Headers, *statements: dict[str, Any]) -> None:
    resp = client.post("/xapi/statements", json=list(statements), headers=headers)
    assert resp.status_code == 200, resp.get_json()


# -- Activities ---------------------------------------------------------------------------------


def test_activity_from_statement_is_returned_complete(
    client: FlaskClient, headers: Headers
) -> None:
    post(client, headers, make_statement(object=activity()))
    resp = get_activity(client, headers)
    assert resp.status_code == 200
    assert resp.get_json() == activity()
    assert re.match(r'^"[0-9a-f]{40}"$', resp.headers["ETag"])


def test_unknown_activity_still_returns_an_activity(client: FlaskClient, headers2: Headers) -> None:
    resp = get_activity(client, headers2, "http://example.org/never-seen")
    assert resp.status_code == 200
    assert resp.get_json() == {"objectType": "Activity", "id": "http://example.org/never-seen"}


def test_activity_parameters(client: FlaskClient, headers: Headers) -> None:
    assert client.get("/xapi/activities", headers=headers).status_code == 400
    assert get_activity(client, headers, "true").status_code == 400
    assert client.get(f"/xapi/activities?activityId={ACT}&x=1", headers=headers).status_code == 400
    assert client.head("/xapi/activities?activityId=" + ACT, headers=headers).status_code == 200


def test_languages_from_two_statements_merge_with_define(
    client: FlaskClient, headers: Headers
) -> None:
    french = {**DEFINITION, "name": {"fr-FR": "réunion"}}
    post(
        client,
        headers,
        make_statement(object=activity()),
        make_statement(object={"objectType": "Activity", "id": ACT, "definition": french}),
    )
    name = get_activity(client, headers).get_json()["definition"]["name"]
    assert name == {"en-GB": "example meeting", "en-US": "example meeting", "fr-FR": "réunion"}


def test_without_define_the_first_definition_stays(
    client: FlaskClient, credential: Callable[..., Headers]
) -> None:
    writer = credential("statements/write", "statements/read")
    post(client, writer, make_statement(object=activity()))
    post(client, writer, make_statement(object=activity(name={"fr-FR": "réunion"})))
    assert get_activity(client, writer).get_json() == activity()


def test_context_and_substatement_activities_are_learned(
    client: FlaskClient, headers2: Headers
) -> None:
    parent = {"id": "http://example.org/parent", "definition": {"name": {"en": "Parent"}}}
    sub = {
        "objectType": "SubStatement",
        "actor": make_agent(),
        "verb": {"id": "http://example.org/verbs/plan"},
        "object": {"id": "http://example.org/inner", "definition": {"name": {"en": "Inner"}}},
    }
    post(
        client,
        headers2,
        make_statement(object=sub, context={"contextActivities": {"parent": parent}}),
    )
    got = get_activity(client, headers2, "http://example.org/parent").get_json()
    assert got == {"objectType": "Activity", **parent}
    inner = get_activity(client, headers2, "http://example.org/inner").get_json()
    assert inner["definition"] == {"name": {"en": "Inner"}}


def test_activities_scope(client: FlaskClient, credential: Callable[..., Headers]) -> None:
    assert get_activity(client, credential("statements/write")).status_code == 403
    assert get_activity(client, credential("state")).status_code == 200


# -- Agents -------------------------------------------------------------------------------------


def test_person_for_an_agent_seen_in_statements(client: FlaskClient, headers: Headers) -> None:
    post(client, headers, make_statement(actor=make_agent(name="Learner One")))
    post(client, headers, make_statement(actor=make_agent(name="Learner 1")))
    resp = get_agent(client, headers, {"mbox": "mailto:learner@example.org"})
    assert resp.status_code == 200
    assert resp.get_json() == {
        "objectType": "Person",
        "name": ["Learner One", "Learner 1"],
        "mbox": ["mailto:learner@example.org"],
    }


def test_person_for_an_unknown_agent_echoes_it(client: FlaskClient, headers2: Headers) -> None:
    account = {"homePage": "http://example.org/hr", "name": "e123"}
    resp = get_agent(client, headers2, {"objectType": "Agent", "name": "Eve", "account": account})
    assert resp.get_json() == {"objectType": "Person", "name": ["Eve"], "account": [account]}
    sha = {"mbox_sha1sum": "a" * 40}
    assert get_agent(client, headers2, sha).get_json() == {
        "objectType": "Person",
        "mbox_sha1sum": ["a" * 40],
    }


def test_group_members_and_context_agents_are_learned(
    client: FlaskClient, headers: Headers
) -> None:
    team = {
        "objectType": "Group",
        "member": [make_agent(name="Ann", mbox="mailto:ann@example.org")],
    }
    instructor = make_agent(name="Dr Who", mbox="mailto:who@example.org")
    post(client, headers, make_statement(actor=team, context={"instructor": instructor}))
    ann = get_agent(client, headers, {"mbox": "mailto:ann@example.org"}).get_json()
    who = get_agent(client, headers, {"mbox": "mailto:who@example.org"}).get_json()
    assert ann["name"] == ["Ann"]
    assert who["name"] == ["Dr Who"]


def test_agent_parameter_validation(client: FlaskClient, headers: Headers) -> None:
    assert client.get("/xapi/agents", headers=headers).status_code == 400
    assert get_agent(client, headers, "not json").status_code == 400
    assert get_agent(client, headers, {"objectType": "Agent", "name": "no ifi"}).status_code == 400
    group = {"objectType": "Group", "mbox": "mailto:team@example.org"}
    assert get_agent(client, headers, group).status_code == 400
    assert get_agent(client, headers, {"mbox": "x@example.org"}).status_code == 400


def test_agents_head(client: FlaskClient, headers: Headers) -> None:
    resp = client.head(
        "/xapi/agents?" + urlencode({"agent": json.dumps(make_agent())}), headers=headers
    )
    assert (resp.status_code, resp.data) == (200, b"")
