"""GET /statements format rendering and Accept-Language (statements.formats), and IFI keys."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from statements.formats import best_language, parse_accept_language, render
from statements.ifi import agent_key
from tests.factories import make_activity, make_agent, make_group, make_statement
from tests.statements.helpers import OTHER_ID

DEFINITION = {
    "name": {"en-US": "Course", "fr-FR": "Cours", "de": "Kurs"},
    "description": {"fr-FR": "Un cours", "en-GB": "A course"},
    "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
    "interactionType": "choice",
    "choices": [{"id": "a", "description": {"en-US": "A", "fr-FR": "Un"}}],
}


def rich_statement() -> dict[str, Any]:
    return make_statement(
        actor=make_agent(name="Learner Name"),
        verb={
            "id": "http://adlnet.gov/expapi/verbs/completed",
            "display": {"en-US": "completed", "fr-FR": "fini"},
        },
        object=make_activity(definition=copy.deepcopy(DEFINITION)),
        authority=make_group(),
        context={
            "instructor": make_agent(name="Teacher", mbox="mailto:t@example.org"),
            "team": make_group(name="Team", mbox="mailto:team@example.org"),
            "contextActivities": {
                "parent": [make_activity(id="http://a.b/p", definition={"name": {"en": "P"}})]
            },
            "contextAgents": [{"objectType": "contextAgent", "agent": make_agent(name="Player")}],
            "statement": {"objectType": "StatementRef", "id": OTHER_ID},
        },
        result={"success": True},
    )


def test_exact_is_unchanged() -> None:
    statement = rich_statement()
    assert render(statement, "exact", ["fr"]) == rich_statement()


def test_ids_format_reduces_agents_activities_and_verbs() -> None:
    statement = rich_statement()
    before = copy.deepcopy(statement)
    out = render(statement, "ids", [])
    assert statement == before  # input untouched
    assert out["actor"] == {"objectType": "Agent", "mbox": "mailto:learner@example.org"}
    assert out["verb"] == {"id": "http://adlnet.gov/expapi/verbs/completed"}
    assert out["object"] == {"id": "http://example.org/activities/course-1"}
    assert out["authority"] == {
        "objectType": "Group",
        "member": [
            {"objectType": "Agent", "mbox": "mailto:ann@example.org"},
            {"objectType": "Agent", "mbox": "mailto:bob@example.org"},
        ],
    }
    context = out["context"]
    assert context["instructor"] == {"objectType": "Agent", "mbox": "mailto:t@example.org"}
    assert context["team"] == {"objectType": "Group", "mbox": "mailto:team@example.org"}
    assert context["contextActivities"]["parent"] == [{"id": "http://a.b/p"}]
    assert context["contextAgents"][0]["agent"] == {
        "objectType": "Agent",
        "mbox": "mailto:learner@example.org",
    }
    assert context["statement"] == {"objectType": "StatementRef", "id": OTHER_ID}
    assert out["result"] == {"success": True}


def test_ids_format_inside_substatement_and_agent_objects() -> None:
    sub = make_statement(objectType="SubStatement", object=make_agent(name="Other"))
    out = render(make_statement(object=sub), "ids", [])
    assert out["object"]["objectType"] == "SubStatement"
    assert out["object"]["object"] == {"objectType": "Agent", "mbox": "mailto:learner@example.org"}
    assert "display" not in out["object"]["verb"]


def test_canonical_keeps_one_language_per_map() -> None:
    out = render(rich_statement(), "canonical", ["fr-FR", "en"])
    definition = out["object"]["definition"]
    assert definition["name"] == {"fr-FR": "Cours"}
    assert definition["description"] == {"fr-FR": "Un cours"}
    assert definition["choices"][0]["description"] == {"fr-FR": "Un"}
    assert out["verb"]["display"] == {"fr-FR": "fini"}
    assert out["actor"] == make_agent(name="Learner Name")  # agents as in exact
    parent = out["context"]["contextActivities"]["parent"][0]
    assert parent["definition"]["name"] == {"en": "P"}


def test_canonical_uses_lrs_definitions_when_given() -> None:
    canonical = {
        "http://example.org/activities/course-1": {
            "name": {"en-US": "Canonical", "fr": "Canonique"}
        }
    }
    out = render(make_statement(), "canonical", ["fr"], definitions=canonical)
    assert out["object"]["definition"] == {"name": {"fr": "Canonique"}}


def test_unknown_format() -> None:
    with pytest.raises(ValueError):
        render(make_statement(), "full", [])


@pytest.mark.parametrize(
    ("languages", "expected"),
    [
        (["fr-FR"], "fr-FR"),
        (["fr"], "fr-FR"),  # a range matches tags that start with it
        (["EN-us"], "en-US"),  # case-insensitive
        (["en-GB"], "en-US"),  # truncated range as last resort (RFC 4647 lookup)
        (["es", "de"], "de"),  # preference order
        (["*"], "en-US"),
        (["es"], "en-US"),  # no match: first entry
        ([], "en-US"),
    ],
)
def test_best_language(languages: list[str], expected: str) -> None:
    language_map = {"en-US": "x", "fr-FR": "y", "de": "z"}
    assert best_language(language_map, languages) == expected


def test_best_language_of_empty_map() -> None:
    assert best_language({}, ["en"]) is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, []),
        ("", []),
        ("da, en-gb;q=0.8, en;q=0.7", ["da", "en-gb", "en"]),
        ("en;q=0.5, fr", ["fr", "en"]),
        ("en;q=0, fr;q=0.1", ["fr"]),
        ("de;q=bad, fr", ["fr"]),
        ("*;q=0.1, es", ["es", "*"]),
    ],
)
def test_parse_accept_language(header: str | None, expected: list[str]) -> None:
    assert parse_accept_language(header) == expected


@pytest.mark.parametrize(
    ("agent", "key"),
    [
        ({"mbox": "mailto:Learner@EXAMPLE.org"}, "mbox:mailto:Learner@example.org"),
        ({"mbox_sha1sum": "AB" * 20}, "mbox_sha1sum:" + "ab" * 20),
        ({"openid": "http://openid.example.org/a"}, "openid:http://openid.example.org/a"),
        ({"account": {"homePage": "http://x.org", "name": "n"}}, "account:http://x.org|n"),
        (make_group(mbox="mailto:team@example.org"), "mbox:mailto:team@example.org"),
        (make_group(), None),
    ],
)
def test_agent_key(agent: dict[str, Any], key: str | None) -> None:
    assert agent_key(agent) == key
