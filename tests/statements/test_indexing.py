"""Filter keys (``statements.indexing``): the fast walk against a plain reading of the rules
(xAPI Communication 2.1.3), on generated statements, with and without the batch's authority
keys handed in."""

from __future__ import annotations

import random
from typing import Any

import pytest

from statements.ifi import agent_key
from statements.indexing import agent_keys, statement_keys
from tests.statements.xapi_gen import valid_statement


def _who(obj: Any) -> list[str]:
    """An Agent's or Group's IFI key and its members' keys, read plainly."""
    if not isinstance(obj, dict):
        return []
    found = [agent_key(obj), *(agent_key(m) for m in obj.get("member") or [])]
    return [k for k in found if k is not None]


def _oracle(statement: dict[str, Any], top: bool = True) -> set[tuple[str, str]]:
    obj = statement.get("object") or {}
    kind = obj.get("objectType", "Activity")
    context = statement.get("context") or {}
    keys: set[tuple[str, str]] = set()
    people = _who(statement.get("actor"))
    if kind in ("Agent", "Group"):
        people += _who(obj)
    if top:
        keys |= {("agent", k) for k in people}
        keys.add(("verb", statement["verb"]["id"]))
        if kind == "Activity":
            keys.add(("activity", obj["id"]))
        if "registration" in context:
            keys.add(("registration", context["registration"].lower()))
    people += _who(statement.get("authority"))
    people += _who(context.get("instructor")) + _who(context.get("team"))
    people += [k for item in context.get("contextAgents") or [] for k in _who(item["agent"])]
    people += [k for item in context.get("contextGroups") or [] for k in _who(item["group"])]
    keys |= {("related_agent", k) for k in people}
    if kind == "Activity":
        keys.add(("related_activity", obj["id"]))
    for group in (context.get("contextActivities") or {}).values():
        for activity in group if isinstance(group, list) else [group]:
            keys.add(("related_activity", activity["id"]))
    if kind == "SubStatement":
        keys |= _oracle(obj, top=False)
    return keys


GROUP_AUTHORITY = {
    "objectType": "Group",
    "member": [
        {"account": {"homePage": "http://example.org", "name": "app"}},
        {"mbox": "mailto:Admin@Example.ORG"},
    ],
}


@pytest.mark.parametrize("seed", range(4))
def test_keys_follow_the_rules_on_generated_statements(seed: int) -> None:
    rng = random.Random(seed)
    shapes = {"SubStatement": 0, "member": 0, "contextActivities": 0}
    for n in range(500):
        statement = valid_statement(rng, v2=bool(n % 2))
        if n % 3 == 0:
            statement["authority"] = GROUP_AUTHORITY
        want = _oracle(statement)
        assert statement_keys(statement) == want
        given = agent_keys(statement.get("authority"))
        assert statement_keys(statement, given) == want
        text = repr(statement)
        for shape in shapes:
            shapes[shape] += shape in text
    assert min(shapes.values()) > 0, shapes  # the rules' harder branches were exercised


def test_handed_in_authority_keys_are_used_as_given() -> None:
    statement = {
        "actor": {"mbox": "mailto:a@example.org"},
        "verb": {"id": "http://example.org/v"},
        "object": {"id": "http://example.org/x"},
        "authority": {"mbox": "mailto:b@example.org"},
    }
    keys = statement_keys(statement, ["mbox:mailto:c@example.org"])
    assert ("related_agent", "mbox:mailto:c@example.org") in keys
    assert ("related_agent", "mbox:mailto:b@example.org") not in keys
