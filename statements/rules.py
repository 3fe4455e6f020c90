"""Cross-object rules of the xAPI Data section, as plain functions.

Each ``check_*`` function takes an object and returns a list of :data:`Issue`:
``(relative path, rule, message)``, the path being a tuple of keys / indexes below the object.
Field types were checked first; some hooks also run when a field failed (with marshmallow's
partially valid data), so the checks only use what is present and well-typed.
The schemas call them from ``@validates_schema`` hooks, so the paths end up absolute.

Version differences between xAPI 1.0.3 and 2.0 (IEEE 9274.1.1) live in the fields
(:class:`statements.fields.Timestamp`, :class:`~statements.fields.Version`) and in the context
schema (``contextAgents`` / ``contextGroups`` exist only in 2.0).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Path = tuple[str | int, ...]
Issue = tuple[Path, str, str]

#: The four Inverse Functional Identifier properties of Agents and Groups.
IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")
#: The reserved verb of voiding statements.
VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
#: Interaction component lists allowed for each interactionType.
COMPONENTS_BY_TYPE: Mapping[str, tuple[str, ...]] = {
    "true-false": (),
    "choice": ("choices",),
    "fill-in": (),
    "long-fill-in": (),
    "matching": ("source", "target"),
    "performance": ("steps",),
    "sequencing": ("choices",),
    "likert": ("scale",),
    "numeric": (),
    "other": (),
}
COMPONENT_KEYS = ("choices", "scale", "source", "target", "steps")


def ifis_of(actor: Mapping[str, Any]) -> list[str]:
    """The IFI properties present in an Agent or Group."""
    return [key for key in IFI_KEYS if key in actor]


def check_agent(agent: Mapping[str, Any]) -> list[Issue]:
    """An Agent has exactly one IFI."""
    found = ifis_of(agent)
    if len(found) == 1:
        return []
    if not found:
        return [((), "one_ifi", "An Agent must have exactly one of " + ", ".join(IFI_KEYS) + ".")]
    return [
        ((), "one_ifi", f"An Agent must not have more than one IFI (found {', '.join(found)}).")
    ]


def check_group(group: Mapping[str, Any]) -> list[Issue]:
    """An identified Group has one IFI; an anonymous Group (no IFI) lists its members."""
    found = ifis_of(group)
    if len(found) > 1:
        return [
            ((), "one_ifi", f"A Group must not have more than one IFI (found {', '.join(found)}).")
        ]
    if not found and not group.get("member"):
        return [(("member",), "anonymous_group", "An anonymous Group must list its members.")]
    return []


def check_authority(authority: Mapping[str, Any]) -> list[Issue]:
    """An authority is an Agent, or (3-legged OAuth) an anonymous Group of exactly two Agents."""
    if authority.get("objectType") != "Group":
        return []
    if ifis_of(authority):
        return [((), "authority", "A Group authority must be an anonymous Group (OAuth).")]
    if len(authority.get("member", [])) != 2:
        return [(("member",), "authority", "A Group authority must have exactly two members.")]
    return []


def check_score(score: Mapping[str, Any]) -> list[Issue]:
    """``scaled`` is in [-1, 1]; ``min`` < ``max``; ``raw`` lies between them."""
    issues: list[Issue] = []
    scaled, raw = score.get("scaled"), score.get("raw")
    low, high = score.get("min"), score.get("max")
    if scaled is not None and not -1 <= scaled <= 1:
        issues.append((("scaled",), "score_range", "scaled must be between -1 and 1."))
    if low is not None and high is not None and not low < high:
        issues.append((("min",), "score_range", "min must be less than max."))
    if raw is not None and low is not None and raw < low:
        issues.append((("raw",), "score_range", "raw must not be less than min."))
    if raw is not None and high is not None and raw > high:
        issues.append((("raw",), "score_range", "raw must not be greater than max."))
    return issues


def check_interaction(definition: Mapping[str, Any]) -> list[Issue]:
    """Interaction properties need an ``interactionType`` and only the lists it allows."""
    issues: list[Issue] = []
    kind = definition.get("interactionType")
    present = [key for key in COMPONENT_KEYS if key in definition]
    if kind is None:
        for key in [*present, "correctResponsesPattern"]:
            if key in definition:
                issues.append(
                    ((key,), "interaction_components", f"{key} requires an interactionType.")
                )
    else:
        allowed = COMPONENTS_BY_TYPE.get(kind, ())
        for key in present:
            if key not in allowed:
                issues.append(
                    (
                        (key,),
                        "interaction_components",
                        f"{key} is not allowed for interactionType {kind!r}.",
                    )
                )
    for key in present:
        seen: set[str] = set()
        for index, component in enumerate(definition[key]):
            component_id = component.get("id") if isinstance(component, Mapping) else None
            if not isinstance(component_id, str):
                continue
            if component_id in seen:
                issues.append(
                    ((key, index, "id"), "interaction_components", "Component ids must be unique.")
                )
            seen.add(component_id)
    return issues


def object_type_of(obj: Mapping[str, Any]) -> str:
    """The effective objectType of a statement's object (Activity when omitted)."""
    value = obj.get("objectType", "Activity")
    return value if isinstance(value, str) else ""


def check_statement(statement: Mapping[str, Any]) -> list[Issue]:
    """Statement-level rules shared by Statements and SubStatements.

    * a voiding statement's object is a StatementRef;
    * ``context.revision`` / ``context.platform`` only when the object is an Activity.
    """
    issues: list[Issue] = []
    if "object" not in statement:  # the object itself is invalid: nothing to compare with
        return issues
    obj = statement["object"]
    verb = statement.get("verb", {})
    if verb.get("id") == VOIDED_VERB and object_type_of(obj) != "StatementRef":
        issues.append(
            (("object",), "voiding_object", "A voiding statement's object must be a StatementRef.")
        )
    context = statement.get("context", {})
    if object_type_of(obj) != "Activity":
        for key in ("revision", "platform"):
            if key in context:
                issues.append(
                    (
                        ("context", key),
                        "context_activity_only",
                        f"context.{key} is only allowed when the object is an Activity.",
                    )
                )
    return issues


def check_batch_ids(statements: Sequence[Any]) -> list[Issue]:
    """Statement ids are unique within a batch (compared case-insensitively)."""
    issues: list[Issue] = []
    seen: dict[str, int] = {}
    for index, statement in enumerate(statements):
        if not isinstance(statement, dict) or not isinstance(statement.get("id"), str):
            continue
        key = statement["id"].lower()
        if key in seen:
            issues.append(
                ((index, "id"), "duplicate_id", f"Same id as statement {seen[key]} of the batch.")
            )
        else:
            seen[key] = index
    return issues
