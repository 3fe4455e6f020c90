"""Statement equivalence for re-posted statement ids (statements.compare)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from statements.compare import equivalent
from tests.factories import make_activity, make_agent, make_group, make_statement
from tests.statements.helpers import OTHER_ID, STATEMENT_ID


def stored_and_posted(**overrides: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    posted = make_statement(id=STATEMENT_ID, **overrides)
    stored = copy.deepcopy(posted)
    stored.update(
        stored="2024-01-01T00:00:00.000Z",
        authority=make_agent(mbox="mailto:lrs@example.org"),
        version="2.0.0",
        timestamp="2024-01-01T00:00:00.000Z",
    )
    return stored, posted


def test_lrs_assigned_properties_are_ignored() -> None:
    stored, posted = stored_and_posted()
    assert equivalent(stored, posted)
    assert equivalent(posted, stored)


def test_identical_statements() -> None:
    statement = make_statement(id=STATEMENT_ID, timestamp="2024-01-01T00:00:00Z")
    assert equivalent(statement, copy.deepcopy(statement))


def test_different_verb_or_object_or_actor() -> None:
    base = make_statement(id=STATEMENT_ID)
    assert not equivalent(base, make_statement(id=STATEMENT_ID, verb={"id": "http://a.b/v"}))
    assert not equivalent(
        base, make_statement(id=STATEMENT_ID, object=make_activity(id="http://a.b/c"))
    )
    assert not equivalent(
        base, make_statement(id=STATEMENT_ID, actor=make_agent(mbox="mailto:x@y.org"))
    )
    assert not equivalent(base, make_statement(id=STATEMENT_ID, result={"success": True}))


def test_ids_compared_case_insensitively_when_both_present() -> None:
    assert equivalent(make_statement(id=STATEMENT_ID), make_statement(id=STATEMENT_ID.upper()))
    assert not equivalent(make_statement(id=STATEMENT_ID), make_statement(id=OTHER_ID))
    assert equivalent(make_statement(id=STATEMENT_ID), make_statement())


def test_timestamps_compared_as_instants() -> None:
    a = make_statement(timestamp="2024-01-01T12:00:00.000Z")
    b = make_statement(timestamp="2024-01-01T14:00:00+02:00")
    c = make_statement(timestamp="2024-01-01T12:00:00.0004Z")  # below millisecond precision
    d = make_statement(timestamp="2024-01-01T12:00:01Z")
    assert equivalent(a, b)
    assert equivalent(a, c)
    assert not equivalent(a, d)


def test_substatement_timestamp_is_part_of_the_statement() -> None:
    sub = make_statement(objectType="SubStatement", timestamp="2024-01-01T00:00:00Z")
    bare = make_statement(objectType="SubStatement")
    assert not equivalent(make_statement(object=sub), make_statement(object=bare))
    shifted = make_statement(objectType="SubStatement", timestamp="2024-01-01T01:00:00+01:00")
    assert equivalent(make_statement(object=sub), make_statement(object=shifted))


def test_activity_definition_and_verb_display_are_not_part_of_the_statement() -> None:
    a = make_statement(object=make_activity(definition={"name": {"en-US": "A"}}))
    b = make_statement(object=make_activity(definition={"name": {"en-US": "B"}}))
    assert equivalent(a, b)
    c = make_statement(
        verb={"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"fr": "fini"}}
    )
    assert equivalent(a, c)


def test_activity_object_type_may_be_omitted() -> None:
    bare = make_activity()
    del bare["objectType"]
    assert equivalent(make_statement(), make_statement(object=bare))


def test_mbox_domain_is_case_insensitive_local_part_is_not() -> None:
    a = make_statement(actor=make_agent(mbox="mailto:Learner@example.org"))
    assert equivalent(a, make_statement(actor=make_agent(mbox="mailto:Learner@EXAMPLE.org")))
    assert not equivalent(a, make_statement(actor=make_agent(mbox="mailto:learner@example.org")))


def test_sha1_hex_case_insensitive() -> None:
    a = make_statement(actor={"mbox_sha1sum": "ab" * 20})
    assert equivalent(a, make_statement(actor={"mbox_sha1sum": "AB" * 20}))


def test_group_member_order_is_ignored() -> None:
    group = make_group()
    reordered = make_group(member=list(reversed(group["member"])))
    assert equivalent(make_statement(actor=group), make_statement(actor=reordered))
    fewer = make_group(member=group["member"][:1])
    assert not equivalent(make_statement(actor=group), make_statement(actor=fewer))


def test_context_activities_single_equals_array() -> None:
    single = make_statement(context={"contextActivities": {"parent": {"id": "http://a.b/p"}}})
    array = make_statement(context={"contextActivities": {"parent": [{"id": "http://a.b/p"}]}})
    assert equivalent(single, array)


def test_registration_uuid_case_and_language_keys() -> None:
    a = make_statement(context={"registration": STATEMENT_ID, "language": "en-US"})
    b = make_statement(context={"registration": STATEMENT_ID.upper(), "language": "en-US"})
    assert equivalent(a, b)


def test_json_types_matter() -> None:
    a = make_statement(result={"extensions": {"http://a.b/x": True}})
    b = make_statement(result={"extensions": {"http://a.b/x": 1}})
    assert not equivalent(a, b)
    c = make_statement(result={"score": {"raw": 1}})
    d = make_statement(result={"score": {"raw": 1.0}})
    assert equivalent(c, d)


@pytest.mark.parametrize(
    ("left", "right", "same"),
    [
        ("PT1.234S", "PT1.23S", True),
        ("PT1.5S", "PT1.50S", False),  # durations are strings; only sub-0.01 s precision ignored
        ("PT1H", "PT60M", False),
    ],
)
def test_duration_comparison(left: str, right: str, same: bool) -> None:
    a = make_statement(result={"duration": left})
    b = make_statement(result={"duration": right})
    assert equivalent(a, b) is same


def test_attachment_order_is_ignored() -> None:
    first = {
        "usageType": "http://a.b/u1",
        "display": {"en-US": "one"},
        "contentType": "text/plain",
        "length": 1,
        "sha2": "a" * 64,
    }
    second = {**first, "usageType": "http://a.b/u2", "sha2": "b" * 64}
    a = make_statement(attachments=[first, second])
    b = make_statement(attachments=[second, first])
    assert equivalent(a, b)
    assert not equivalent(a, make_statement(attachments=[first]))
