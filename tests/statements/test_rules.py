"""Cross-object rules (statements.rules) through validate_statements, plus direct unit tests."""

from __future__ import annotations

from typing import Any

import pytest

from statements.rules import check_interaction, check_score
from tests.factories import make_activity, make_agent, make_group, make_statement
from tests.statements.helpers import OTHER_ID, assert_error, assert_valid

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
ACCOUNT = {"homePage": "http://example.com", "name": "learner"}
SHA1 = "a" * 40

# --- Agents and Groups --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ifis",
    [
        {"mbox": "mailto:a@example.org", "mbox_sha1sum": SHA1},
        {"mbox": "mailto:a@example.org", "openid": "http://openid.example.org/a"},
        {"mbox": "mailto:a@example.org", "account": ACCOUNT},
        {"mbox_sha1sum": SHA1, "account": ACCOUNT},
        {"openid": "http://openid.example.org/a", "account": ACCOUNT},
    ],
)
def test_agent_with_two_ifis_refused(ifis: dict[str, Any]) -> None:
    assert_error(make_statement(actor={"objectType": "Agent", **ifis}), "$.actor", "one_ifi")


def test_agent_without_ifi_refused() -> None:
    assert_error(make_statement(actor={"objectType": "Agent", "name": "x"}), "$.actor", "one_ifi")


@pytest.mark.parametrize(
    "ifi",
    [
        {"mbox": "mailto:a@example.org"},
        {"mbox_sha1sum": SHA1},
        {"openid": "http://openid.example.org/a"},
        {"account": ACCOUNT},
    ],
)
def test_agent_with_each_ifi_accepted(ifi: dict[str, Any]) -> None:
    assert_valid(make_statement(actor=ifi))


@pytest.mark.parametrize("missing", ["homePage", "name"])
def test_account_needs_home_page_and_name(missing: str) -> None:
    account = {k: v for k, v in ACCOUNT.items() if k != missing}
    assert_error(
        make_statement(actor={"account": account}), f"$.actor.account.{missing}", "required"
    )


def test_identified_group_with_two_ifis_refused() -> None:
    group = make_group(mbox="mailto:team@example.org", openid="http://openid.example.org/t")
    assert_error(make_statement(actor=group), "$.actor", "one_ifi")


def test_identified_group_members_optional() -> None:
    assert_valid(make_statement(actor={"objectType": "Group", "mbox": "mailto:t@example.org"}))


@pytest.mark.parametrize("member", [None, []])
def test_anonymous_group_needs_members(member: list[Any] | None) -> None:
    assert_error(
        make_statement(actor=make_group(member=member)), "$.actor.member", "anonymous_group"
    )


def test_group_cannot_contain_groups() -> None:
    group = make_group(member=[make_agent(), make_group()])
    assert_error(make_statement(actor=group), "$.actor.member[1].objectType", "group_member")


def test_group_members_are_agents_with_one_ifi() -> None:
    group = make_group(member=[{"name": "no ifi"}])
    assert_error(make_statement(actor=group), "$.actor.member[0]", "one_ifi")


def test_group_member_must_be_array() -> None:
    assert_error(make_statement(actor=make_group(member=make_agent())), "$.actor.member", "type")


def test_team_must_be_a_group() -> None:
    assert_error(
        make_statement(context={"team": make_agent()}), "$.context.team.objectType", "object_type"
    )
    assert_valid(make_statement(context={"team": make_group(), "instructor": make_group()}))


# --- authority ----------------------------------------------------------------------------------


def test_authority_agent_or_oauth_pair() -> None:
    assert_valid(make_statement(authority=make_agent()))
    oauth = make_group(
        member=[
            {"account": {"homePage": "http://example.com/xAPI/OAuth/Token", "name": "oauth_x"}},
            {"mbox": "mailto:bob@example.com"},
        ]
    )
    assert_valid(make_statement(authority=oauth))


@pytest.mark.parametrize("count", [1, 3])
def test_authority_group_needs_exactly_two_members(count: int) -> None:
    members = [make_agent(mbox=f"mailto:m{i}@example.org") for i in range(count)]
    assert_error(
        make_statement(authority=make_group(member=members)), "$.authority.member", "authority"
    )


def test_authority_cannot_be_an_identified_group() -> None:
    group = make_group(openid="http://openid.example.org/g")
    assert_error(make_statement(authority=group), "$.authority", "authority")


def test_authority_agent_needs_one_ifi() -> None:
    assert_error(make_statement(authority={"objectType": "Agent"}), "$.authority", "one_ifi")


# --- voiding, StatementRef, SubStatement -------------------------------------------------------


def test_voiding_statement_object_must_be_a_statement_ref() -> None:
    ref = {"objectType": "StatementRef", "id": OTHER_ID}
    assert_valid(make_statement(verb={"id": VOIDED}, object=ref))
    assert_error(make_statement(verb={"id": VOIDED}), "$.object", "voiding_object")


def test_statement_ref_needs_type_and_uuid() -> None:
    assert_error(make_statement(object={"objectType": "StatementRef"}), "$.object.id", "required")
    assert_error(
        make_statement(object={"objectType": "StatementRef", "id": "x"}), "$.object.id", "uuid"
    )
    assert_error(
        make_statement(context={"statement": {"id": OTHER_ID}}),
        "$.context.statement.objectType",
        "required",
    )


def substatement(**overrides: Any) -> dict[str, Any]:
    return make_statement(objectType="SubStatement", **overrides)


def test_substatement_valid() -> None:
    assert_valid(make_statement(object=substatement()))
    assert_valid(
        make_statement(object=substatement(object=make_agent(), timestamp="2024-01-01T00:00:00Z"))
    )


def test_substatement_cannot_nest() -> None:
    nested = substatement(object=substatement())
    assert_error(
        make_statement(object=nested), "$.object.object.objectType", "substatement_nesting"
    )


@pytest.mark.parametrize(
    ("prop", "value"),
    [
        ("id", OTHER_ID),
        ("stored", "2024-01-01T00:00:00Z"),
        ("version", "1.0.0"),
        ("authority", make_agent()),
    ],
)
def test_substatement_forbidden_properties(prop: str, value: Any) -> None:
    statement = make_statement(object=substatement(**{prop: value}))
    assert_error(statement, f"$.object.{prop}", "substatement_properties")


@pytest.mark.parametrize("prop", ["actor", "verb", "object"])
def test_substatement_required_properties(prop: str) -> None:
    assert_error(
        make_statement(object=substatement(**{prop: None})), f"$.object.{prop}", "required"
    )


def test_substatement_is_validated_like_a_statement() -> None:
    inner = substatement(actor={"mbox": "bad"}, result={"success": "true"})
    statement = make_statement(object=inner)
    assert_error(statement, "$.object.actor.mbox", "mbox_format")
    assert_error(statement, "$.object.result.success", "type")


# --- context revision / platform ----------------------------------------------------------------


@pytest.mark.parametrize("key", ["revision", "platform"])
@pytest.mark.parametrize(
    "obj",
    [
        make_agent(),
        make_group(),
        {"objectType": "StatementRef", "id": OTHER_ID},
        make_statement(objectType="SubStatement"),
    ],
)
def test_revision_and_platform_only_with_activity_objects(key: str, obj: dict[str, Any]) -> None:
    assert_valid(make_statement(context={key: "x"}))
    assert_error(
        make_statement(object=obj, context={key: "x"}), f"$.context.{key}", "context_activity_only"
    )


def test_revision_rule_applies_inside_substatement() -> None:
    inner = substatement(object=make_agent(), context={"platform": "x"})
    assert_error(make_statement(object=inner), "$.object.context.platform", "context_activity_only")


# --- score --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "path"),
    [
        ({"scaled": 1.01}, "scaled"),
        ({"scaled": -1.00001}, "scaled"),
        ({"raw": 11, "max": 10}, "raw"),
        ({"raw": -1, "min": 0}, "raw"),
        ({"min": 10, "max": 5}, "min"),
        ({"min": 5, "max": 5}, "min"),
    ],
)
def test_score_ranges(score: dict[str, Any], path: str) -> None:
    assert_error(make_statement(result={"score": score}), f"$.result.score.{path}", "score_range")


@pytest.mark.parametrize(
    "score",
    [{"scaled": 1.0}, {"scaled": -1}, {"raw": 100.6767676}, {"raw": 0.5, "min": 0, "max": 1}],
)
def test_score_valid(score: dict[str, Any]) -> None:
    assert_valid(make_statement(result={"score": score}))


def test_check_score_reports_all_ranges() -> None:
    issues = check_score({"scaled": 2, "raw": 20, "min": 30, "max": 10})
    assert {path for path, _, _ in issues} == {("scaled",), ("min",), ("raw",)}


# --- interactions -------------------------------------------------------------------------------

COMPONENTS = [{"id": "a", "description": {"en-US": "A"}}, {"id": "b"}]


@pytest.mark.parametrize(
    ("kind", "allowed"),
    [
        ("choice", ["choices"]),
        ("sequencing", ["choices"]),
        ("likert", ["scale"]),
        ("matching", ["source", "target"]),
        ("performance", ["steps"]),
        ("true-false", []),
        ("fill-in", []),
        ("long-fill-in", []),
        ("numeric", []),
        ("other", []),
    ],
)
def test_interaction_components_match_the_type(kind: str, allowed: list[str]) -> None:
    base = {"interactionType": kind, "correctResponsesPattern": ["a"]}
    good = {**base, **{key: COMPONENTS for key in allowed}}
    assert_valid(make_statement(object=make_activity(definition=good)))
    for key in {"choices", "scale", "source", "target", "steps"} - set(allowed):
        bad = {**base, key: COMPONENTS}
        assert_error(
            make_statement(object=make_activity(definition=bad)),
            f"$.object.definition.{key}",
            "interaction_components",
        )


def test_interaction_properties_need_an_interaction_type() -> None:
    for key, value in (("choices", COMPONENTS), ("correctResponsesPattern", ["a"])):
        definition = {key: value}
        assert_error(
            make_statement(object=make_activity(definition=definition)),
            f"$.object.definition.{key}",
            "interaction_components",
        )


def test_interaction_component_ids_unique() -> None:
    issues = check_interaction({"interactionType": "choice", "choices": [{"id": "a"}, {"id": "a"}]})
    assert issues and issues[0][0] == ("choices", 1, "id")


def test_interaction_component_shape() -> None:
    definition = {"interactionType": "choice", "choices": [{"description": {"en-US": "x"}}]}
    statement = make_statement(object=make_activity(definition=definition))
    assert_error(statement, "$.object.definition.choices[0].id", "required")
    definition = {
        "interactionType": "choice",
        "choices": [{"id": "a", "description": {"x1234567": "x"}}],
    }
    statement = make_statement(object=make_activity(definition=definition))
    assert_error(statement, "$.object.definition.choices[0].description.x1234567", "language_tag")


def test_invalid_interaction_type_reported_once() -> None:
    definition = {"interactionType": "Other", "choices": COMPONENTS}
    statement = make_statement(object=make_activity(definition=definition))
    assert_error(statement, "$.object.definition.interactionType", "interaction_type")
