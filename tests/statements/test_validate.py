"""validate_statements / validate_agent: structure, types, paths, batches, versions."""

from __future__ import annotations

import copy
import time
from typing import Any

import pytest

from statements.errors import StatementValidationError
from statements.validate import (
    SUPPORTED_VERSIONS,
    rules_version,
    validate_agent,
    validate_statements,
)
from tests.factories import make_activity, make_agent, make_group, make_statement
from tests.statements.helpers import (
    OTHER_ID,
    STATEMENT_ID,
    assert_error,
    assert_valid,
    errors_of,
)


def full_statement() -> dict[str, Any]:
    """A statement using most properties (valid under both versions)."""
    return make_statement(
        id=STATEMENT_ID,
        timestamp="2024-01-01T10:00:00.123Z",
        stored="2024-01-01T10:00:01.000Z",
        version="1.0.3",
        authority=make_agent(mbox="mailto:lrs@example.org"),
        object=make_activity(
            definition={
                "name": {"en-US": "Course 1", "fr": "Cours 1"},
                "description": {"en-US": "The first course"},
                "type": "http://adlnet.gov/expapi/activities/course",
                "moreInfo": "http://example.org/course-1/info",
                "extensions": {"http://example.org/ext/x": None},
            }
        ),
        result={
            "score": {"scaled": 0.5, "raw": 5, "min": 0, "max": 10},
            "success": True,
            "completion": False,
            "response": "yes",
            "duration": "PT1H30M",
            "extensions": {"http://example.org/ext/y": {"nested": [1, None]}},
        },
        context={
            "registration": OTHER_ID,
            "instructor": make_agent(mbox="mailto:teacher@example.org"),
            "team": make_group(),
            "contextActivities": {
                "parent": [{"id": "http://example.org/parent"}],
                "grouping": {"id": "http://example.org/grouping"},
                "category": [],
                "other": [{"objectType": "Activity", "id": "http://example.org/other"}],
            },
            "revision": "r1",
            "platform": "web",
            "language": "en-US",
            "statement": {"objectType": "StatementRef", "id": OTHER_ID},
            "extensions": {"http://example.org/ext/z": 3},
        },
        attachments=[
            {
                "usageType": "http://example.com/attachment-usage/test",
                "display": {"en-US": "A test attachment"},
                "description": {"en-US": "A test attachment (description)"},
                "contentType": "text/plain; charset=ascii",
                "length": 27,
                "sha2": "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
                "fileUrl": "http://over.there.com/file.txt",
            }
        ],
    )


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_default_and_full_statements_are_valid(version: str) -> None:
    assert_valid(make_statement(), version)
    assert_valid(full_statement(), version)


def test_single_statement_becomes_a_list_and_is_not_mutated() -> None:
    statement = full_statement()
    before = copy.deepcopy(statement)
    result = validate_statements(statement, "2.0.0")
    assert len(result) == 1
    assert statement == before


def test_context_activities_are_returned_as_arrays() -> None:
    [result] = validate_statements(full_statement(), "2.0.0")
    activities = result["context"]["contextActivities"]
    assert activities["grouping"] == [{"id": "http://example.org/grouping"}]
    assert activities["parent"] == [{"id": "http://example.org/parent"}]


def test_context_activities_normalised_inside_substatement() -> None:
    sub = make_statement(
        objectType="SubStatement", context={"contextActivities": {"parent": {"id": "http://a.b/"}}}
    )
    [result] = validate_statements(make_statement(object=sub), "2.0.0")
    assert result["object"]["context"]["contextActivities"]["parent"] == [{"id": "http://a.b/"}]


def test_statement_without_changes_is_returned_equal() -> None:
    statement = make_statement()
    assert validate_statements([statement], "1.0.3") == [statement]


@pytest.mark.parametrize("prop", ["actor", "verb", "object"])
def test_required_properties(prop: str) -> None:
    assert_error(make_statement(**{prop: None}), f"$.{prop}", "required")


@pytest.mark.parametrize(
    "prop", ["actor", "verb", "object", "context", "result", "timestamp", "id"]
)
def test_null_values_refused(prop: str) -> None:
    statement = make_statement()
    statement[prop] = None
    assert_error(statement, f"$.{prop}", "null")


def test_null_allowed_inside_extensions_only() -> None:
    assert_valid(make_statement(result={"extensions": {"http://example.com/null": None}}))
    assert_error(make_statement(result={"response": None}), "$.result.response", "null")


@pytest.mark.parametrize(
    ("where", "statement"),
    [
        ("$.foo", make_statement(foo=1)),
        ("$.actor.foo", make_statement(actor=make_agent(foo="x"))),
        ("$.verb.Display", make_statement(verb={"id": "http://a.b/v", "Display": {}})),
        ("$.object.definition.foo", make_statement(object=make_activity(definition={"foo": 1}))),
        ("$.result.foo", make_statement(result={"foo": 1})),
        ("$.context.foo", make_statement(context={"foo": 1})),
        (
            "$.context.contextActivities.bar",
            make_statement(context={"contextActivities": {"bar": []}}),
        ),
    ],
)
def test_unknown_properties_refused(where: str, statement: dict[str, Any]) -> None:
    assert_error(statement, where, "unknown_property")


@pytest.mark.parametrize(
    ("path", "statement"),
    [
        ("$.result.success", make_statement(result={"success": "true"})),
        ("$.result.completion", make_statement(result={"completion": 1})),
        ("$.result.response", make_statement(result={"response": 12345})),
        ("$.result.score.raw", make_statement(result={"score": {"raw": "5"}})),
        ("$.result.score.scaled", make_statement(result={"score": {"scaled": True}})),
        ("$.result.score", make_statement(result={"score": 12345})),
        ("$.result.extensions", make_statement(result={"extensions": "x"})),
        ("$.actor.name", make_statement(actor=make_agent(name=123))),
        ("$.id", make_statement(id=12345)),
        ("$.verb.display", make_statement(verb={"id": "http://a.b/v", "display": "attended"})),
        ("$.object.definition", make_statement(object=make_activity(definition="x"))),
        ("$.context.contextActivities", make_statement(context={"contextActivities": "x"})),
        ("$.context.revision", make_statement(context={"revision": 1})),
        ("$.attachments", make_statement(attachments={})),
        ("$.actor", make_statement(actor="agent")),
    ],
)
def test_wrong_json_types_refused(path: str, statement: dict[str, Any]) -> None:
    assert_error(statement, path, "type")


@pytest.mark.parametrize(
    ("path", "rule", "statement"),
    [
        ("$.id", "uuid", make_statement(id="MA97B177-9383-4934-8543-0F91A7A02836")),
        ("$.verb.id", "iri", make_statement(verb={"id": "ab=c://should.fail.com"})),
        ("$.object.id", "iri", make_statement(object={"id": "not an iri"})),
        ("$.actor.mbox", "mbox_format", make_statement(actor={"mbox": "mailto:should.fail.com"})),
        ("$.actor.mbox_sha1sum", "sha1", make_statement(actor={"mbox_sha1sum": "abc"})),
        ("$.actor.openid", "uri", make_statement(actor={"openid": "not a uri"})),
        ("$.timestamp", "timestamp", make_statement(timestamp="01/011/2015")),
        ("$.stored", "timestamp", make_statement(stored="should fail")),
        ("$.result.duration", "duration", make_statement(result={"duration": "PA1H0M0S"})),
        ("$.context.language", "language_tag", make_statement(context={"language": "a12345678"})),
        ("$.context.registration", "uuid", make_statement(context={"registration": "x"})),
        ("$.version", "version", make_statement(version="1.1.0")),
        (
            "$.verb.display.a12345",
            "language_tag",
            make_statement(verb={"id": "http://a.b/v", "display": {"a12345": "x"}}),
        ),
        (
            '$.context.extensions["should fail"]',
            "iri",
            make_statement(context={"extensions": {"should fail": True}}),
        ),
        (
            "$.actor.account.homePage",
            "irl",
            make_statement(actor={"account": {"homePage": "ab=c://x", "name": "n"}}),
        ),
    ],
)
def test_formats_refused(path: str, rule: str, statement: dict[str, Any]) -> None:
    assert_error(statement, path, rule)


def test_language_map_values_must_be_strings() -> None:
    statement = make_statement(verb={"id": "http://a.b/v", "display": {"en-US": 1}})
    assert_error(statement, '$.verb.display["en-US"]', "type")


@pytest.mark.parametrize("value", ["activity", "agent", "Statement", "substatement", 5])
def test_object_type_must_be_an_exact_enumerated_value(value: object) -> None:
    statement = make_statement(object={"objectType": value, "id": "http://a.b/"})
    rule = "type" if not isinstance(value, str) else "object_type"
    assert_error(statement, "$.object.objectType", rule)


def test_actor_object_type_must_match() -> None:
    assert_error(
        make_statement(actor=make_agent(objectType="agent")), "$.actor.objectType", "object_type"
    )


def test_agent_as_object_needs_object_type() -> None:
    agent = make_agent()
    del agent["objectType"]
    assert_error(make_statement(object=agent), "$.object.mbox", "unknown_property")
    assert_valid(make_statement(object=make_agent()))
    assert_valid(make_statement(object=make_group()))


def test_interaction_type_is_case_sensitive() -> None:
    definition = {"interactionType": "true-faLse"}
    statement = make_statement(object=make_activity(definition=definition))
    assert_error(statement, "$.object.definition.interactionType", "interaction_type")


def test_attachment_requirements() -> None:
    good = full_statement()["attachments"][0]
    for prop in ("usageType", "display", "contentType", "length", "sha2"):
        attachment = {k: v for k, v in good.items() if k != prop}
        assert_error(
            make_statement(attachments=[attachment]), f"$.attachments[0].{prop}", "required"
        )
    assert_error(
        make_statement(attachments=[{**good, "length": "27"}]), "$.attachments[0].length", "type"
    )
    assert_error(make_statement(attachments=[{**good, "sha2": 1}]), "$.attachments[0].sha2", "type")
    assert_error(
        make_statement(attachments=[{**good, "contentType": 1}]),
        "$.attachments[0].contentType",
        "type",
    )
    assert_error(
        make_statement(attachments=[{**good, "fileUrl": "x"}]), "$.attachments[0].fileUrl", "irl"
    )


def test_batch_paths_and_every_error_listed() -> None:
    bad_actor = make_statement(actor={"mbox": "nope"})
    bad_verb = make_statement(verb={"id": "nope"})
    errors = errors_of([make_statement(), bad_actor, bad_verb])
    assert {(e.path, e.rule) for e in errors} == {
        ("$[1].actor.mbox", "mbox_format"),
        ("$[2].verb.id", "iri"),
    }


def test_several_errors_in_one_statement() -> None:
    statement = make_statement(verb={"id": "nope"}, result={"success": "yes"}, foo=1)
    rules = {e.rule for e in errors_of(statement)}
    assert {"iri", "type", "unknown_property"} <= rules


def test_duplicate_ids_in_a_batch() -> None:
    batch = [make_statement(id=STATEMENT_ID), make_statement(id=STATEMENT_ID.upper())]
    assert_error(batch, "$[1].id", "duplicate_id")


@pytest.mark.parametrize("payload", [[], "x", 5, None])
def test_payload_shape(payload: object) -> None:
    with pytest.raises(StatementValidationError) as info:
        validate_statements(payload, "2.0.0")
    assert info.value.errors[0].path == "$"
    assert info.value.status == 400


def test_batch_item_that_is_not_an_object() -> None:
    assert_error([make_statement(), 3], "$[1]", "type")


def test_error_message_summarises() -> None:
    with pytest.raises(StatementValidationError) as info:
        validate_statements(make_statement(verb={"id": "nope"}), "2.0.0")
    assert "$.verb.id" in info.value.message


# --- versions ---------------------------------------------------------------------------------


def test_rules_version() -> None:
    assert rules_version("1.0.3") == "1.0.3"
    assert rules_version("1.0.0") == "1.0.3"
    assert rules_version("2.0.0") == "2.0.0"
    with pytest.raises(ValueError):
        rules_version("0.95")


def test_statement_version_2_refused_by_1_0_3_requests() -> None:
    assert_error(make_statement(version="2.0.0"), "$.version", "version", "1.0.3")
    assert_valid(make_statement(version="2.0.0"), "2.0.0")
    assert_valid(make_statement(version="1.0"), "2.0.0")
    assert_valid(make_statement(version="1.0.9"), "1.0.3")


def test_timestamp_offset_required_in_2_0_only() -> None:
    statement = make_statement(timestamp="2024-01-01T10:00:00.123")
    assert_error(statement, "$.timestamp", "timestamp", "2.0.0")
    assert_valid(statement, "1.0.3")


def test_1_0_x_statements_in_2_0_requests_follow_1_0_3_rules() -> None:
    statement = make_statement(version="1.0.0", timestamp="2024-01-01T10:00:00.123")
    assert_valid(statement, "2.0.0")


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_negative_zero_offsets_refused(version: str) -> None:
    for value in ("2008-09-15T15:53:00.601-00:00", "2008-09-15T15:53:00.601-0000"):
        assert_error(make_statement(timestamp=value), "$.timestamp", "timestamp", version)


def test_context_agents_and_groups_only_in_2_0() -> None:
    context = {
        "contextAgents": [
            {
                "objectType": "contextAgent",
                "agent": make_agent(),
                "relevantTypes": ["https://example.com/types/player"],
            }
        ],
        "contextGroups": [{"objectType": "contextGroup", "group": make_group()}],
    }
    assert_valid(make_statement(context=context), "2.0.0")
    assert_error(
        make_statement(context=context), "$.context.contextAgents", "unknown_property", "1.0.3"
    )
    assert_error(
        make_statement(context=context), "$.context.contextGroups", "unknown_property", "1.0.3"
    )


@pytest.mark.parametrize(
    ("item", "path", "rule"),
    [
        ({"objectType": "Should fail", "agent": make_agent()}, "objectType", "object_type"),
        ({"agent": make_agent()}, "objectType", "required"),
        ({"objectType": "contextAgent", "agent": {"key": "x"}}, "agent.key", "unknown_property"),
        ({"objectType": "contextAgent", "agent": make_group()}, "agent.objectType", "object_type"),
        (
            {"objectType": "contextAgent", "agent": make_agent(), "relevantTypes": []},
            "relevantTypes",
            "min_items",
        ),
        (
            {"objectType": "contextAgent", "agent": make_agent(), "relevantTypes": ["abc"]},
            "relevantTypes[0]",
            "iri",
        ),
    ],
)
def test_context_agent_rules(item: dict[str, Any], path: str, rule: str) -> None:
    statement = make_statement(context={"contextAgents": [item]})
    assert_error(statement, f"$.context.contextAgents[0].{path}", rule, "2.0.0")


def test_context_group_needs_a_group() -> None:
    statement = make_statement(
        context={"contextGroups": [{"objectType": "contextGroup", "group": make_agent()}]}
    )
    assert_error(statement, "$.context.contextGroups[0].group.objectType", "object_type")


# --- validate_agent ----------------------------------------------------------------------------


def test_validate_agent() -> None:
    agent = make_agent()
    assert validate_agent(agent, "2.0.0") is agent
    assert validate_agent(make_group(), "1.0.3")["objectType"] == "Group"
    with pytest.raises(StatementValidationError) as info:
        validate_agent({"mbox": "x"}, "2.0.0", path="agent")
    assert info.value.errors[0].path == "agent.mbox"
    with pytest.raises(StatementValidationError):
        validate_agent("x", "2.0.0")
    with pytest.raises(StatementValidationError) as info:
        validate_agent(make_group(), "2.0.0", require_ifi=True)
    assert info.value.errors[0].rule == "one_ifi"


# --- performance ----------------------------------------------------------------------------


def test_a_batch_of_100_validates_quickly() -> None:
    batch = []
    for index in range(100):
        statement = full_statement()
        statement["id"] = f"6f1d2b3c-1111-4a2b-8c3d-{index:012d}"
        batch.append(statement)
    validate_statements(batch, "2.0.0")
    start = time.perf_counter()
    validate_statements(batch, "2.0.0")
    assert time.perf_counter() - start < 0.5  # typically ~20 ms; generous for slow CI
