"""A single-pass acceptance check for statements, run before the marshmallow schemas.

:func:`accepts` walks a parsed statement once, with plain Python on dicts, and answers True
only when it is sure that :data:`statements.schemas.statement.STATEMENT` would load the
statement without error under the same rules version. Any doubt (a failed rule, a rare shape
such as a basic-format timestamp) answers False, and :func:`statements.validate.validate_statements`
then runs marshmallow, which stays the authority for every error message. Because the
validated output is the input itself (normalised by ``statements.validate._normalise``), an
accepted statement produces exactly the bytes the marshmallow path produces.

Every check here is a *subset* of the corresponding marshmallow field or hook: unknown
properties, ``null`` values, wrong JSON types (a boolean is never a number), IRIs, IRLs and
URIs (:mod:`rfc3987`, cached), mbox / sha1 / account / openid and the one-IFI rules, UUIDs,
timestamps (the common extended form only), durations, language maps, score ranges,
interaction components, voiding and context rules, SubStatement restrictions, 1.0.3 vs 2.0
rules (``contextAgents`` / ``contextGroups``, statement ``version``, timestamp offsets),
attachments and extension keys. ``tests/statements/test_fastcheck_differential.py`` checks
that both paths agree on generated valid and mutated statements of both versions.
"""

from __future__ import annotations

import math
import re
from datetime import date
from functools import lru_cache
from typing import Any

from statements import fields as f
from statements.rules import (
    COMPONENT_KEYS,
    COMPONENTS_BY_TYPE,
    IFI_KEYS,
    check_interaction,
    check_score,
    check_statement,
)

is_iri = lru_cache(maxsize=16384)(f.is_iri)
is_irl = lru_cache(maxsize=4096)(f.is_irl)
is_uri = lru_cache(maxsize=4096)(f.is_uri)
is_mbox = lru_cache(maxsize=16384)(f.is_mbox)

_UUID = f._UUID_RE.match
_SHA1 = f._SHA1_RE.match
_SHA2 = f._SHA2_RE.match
_MEDIA = f._MEDIA_TYPE_RE.match
# The common timestamp shape, a subset of both the RFC 3339 (2.0) and ISO 8601 (1.0.3) forms.
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]{1,9})?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
).fullmatch

_AGENT_KEYS = frozenset({"objectType", "name", *IFI_KEYS})
_GROUP_KEYS = _AGENT_KEYS | {"member"}
_ACCOUNT_KEYS = frozenset({"homePage", "name"})
_VERB_KEYS = frozenset({"id", "display"})
_ACTIVITY_KEYS = frozenset({"objectType", "id", "definition"})
_DEFINITION_KEYS = frozenset(
    {"name", "description", "type", "moreInfo", "extensions", "interactionType"}
    | {"correctResponsesPattern", *COMPONENT_KEYS}
)
_INTERACTION_KEYS = frozenset({"interactionType", "correctResponsesPattern", *COMPONENT_KEYS})
_COMPONENT_KEYS = frozenset({"id", "description"})
_REF_KEYS = frozenset({"objectType", "id"})
_CORE_KEYS = frozenset({"actor", "verb", "object", "result", "context", "timestamp"}) | {
    "attachments"
}
_STATEMENT_KEYS = _CORE_KEYS | {"id", "stored", "authority", "version"}
_SUBSTATEMENT_KEYS = _CORE_KEYS | {"objectType"}
_RESULT_KEYS = frozenset({"score", "success", "completion", "response", "duration", "extensions"})
_SCORE_KEYS = frozenset({"scaled", "raw", "min", "max"})
_CONTEXT_KEYS = frozenset(
    {"registration", "instructor", "team", "contextActivities", "revision", "platform"}
    | {"language", "statement", "extensions"}
)
_CONTEXT_KEYS_V2 = _CONTEXT_KEYS | {"contextAgents", "contextGroups"}
_RELATIONS = frozenset({"parent", "grouping", "category", "other"})
_ATTACHMENT_KEYS = frozenset(
    {"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"}
)
_CONTEXT_AGENT_KEYS = frozenset({"objectType", "agent", "relevantTypes"})
_CONTEXT_GROUP_KEYS = frozenset({"objectType", "group", "relevantTypes"})


def _only(obj: Any, allowed: frozenset[str]) -> bool:
    """``obj`` is a JSON object whose keys are all in ``allowed``."""
    return type(obj) is dict and allowed.issuperset(obj)


def _string(value: Any) -> bool:
    return isinstance(value, str)


def _iri(value: Any) -> bool:
    return isinstance(value, str) and is_iri(value)


def _uuid(value: Any) -> bool:
    return isinstance(value, str) and _UUID(value) is not None


def _number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return isinstance(value, int) or math.isfinite(value)


def _language_map(value: Any) -> bool:
    if type(value) is not dict:
        return False
    return all(isinstance(v, str) and f.is_language_tag(k) for k, v in value.items())


def _extensions(value: Any) -> bool:
    return type(value) is dict and all(is_iri(key) for key in value)


def timestamp_ok(value: Any) -> bool:
    """A timestamp in the common extended form with a valid calendar date and time of day.

    Accepted values are accepted by :func:`statements.fields.parse_timestamp` under both
    rule sets; other forms (basic format, no seconds, lower-case ``t``/``z``) answer False.
    """
    if not isinstance(value, str):
        return False
    match = _TIMESTAMP(value)
    if match is None or value.endswith("-00:00"):
        return False
    year, month, day, hour, minute, second = map(int, match.groups())
    if hour > 23 or minute > 59 or second > 59:
        return False
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _ifi_count(actor: dict[str, Any]) -> int:
    return sum(1 for key in IFI_KEYS if key in actor)


def _ifis_ok(actor: dict[str, Any]) -> bool:
    """Each IFI property present is well-formed."""
    if "mbox" in actor and not (isinstance(actor["mbox"], str) and is_mbox(actor["mbox"])):
        return False
    sha1 = actor.get("mbox_sha1sum", "0" * 40)
    if not (isinstance(sha1, str) and _SHA1(sha1)):
        return False
    if "openid" in actor and not (isinstance(actor["openid"], str) and is_uri(actor["openid"])):
        return False
    if "account" in actor:
        account = actor["account"]
        if not _only(account, _ACCOUNT_KEYS) or not _string(account.get("name")):
            return False
        home = account.get("homePage")
        if not (isinstance(home, str) and is_irl(home)):
            return False
    return "name" not in actor or isinstance(actor["name"], str)


def agent_ok(agent: Any, *, type_required: bool = False) -> bool:
    """An Agent with exactly one well-formed IFI (``objectType`` "Agent" when present)."""
    if not _only(agent, _AGENT_KEYS):
        return False
    if "objectType" in agent:
        if agent["objectType"] != "Agent":
            return False
    elif type_required:
        return False
    return _ifi_count(agent) == 1 and _ifis_ok(agent)


def group_ok(group: Any) -> bool:
    """An identified Group (one IFI) or an anonymous one with members (all Agents)."""
    if not _only(group, _GROUP_KEYS) or group.get("objectType") != "Group":
        return False
    if not _ifis_ok(group):
        return False
    count = _ifi_count(group)
    if "member" in group:
        members = group["member"]
        if type(members) is not list:
            return False
        for member in members:
            if type(member) is not dict or member.get("objectType") == "Group":
                return False
            if not agent_ok(member):
                return False
        return count == 1 or (count == 0 and bool(members))
    return count == 1


def actor_ok(actor: Any) -> bool:
    """An Agent or a Group (dispatched on ``objectType``)."""
    if type(actor) is dict and actor.get("objectType") == "Group":
        return group_ok(actor)
    return agent_ok(actor)


def _authority_ok(authority: Any) -> bool:
    if type(authority) is dict and authority.get("objectType") == "Group":
        members = authority.get("member")
        return (
            group_ok(authority)
            and _ifi_count(authority) == 0
            and type(members) is list
            and len(members) == 2
        )
    return agent_ok(authority)


def _components_ok(definition: dict[str, Any]) -> bool:
    for key in COMPONENT_KEYS:
        if key not in definition:
            continue
        components = definition[key]
        if type(components) is not list:
            return False
        for component in components:
            if not _only(component, _COMPONENT_KEYS) or not _string(component.get("id")):
                return False
            if "description" in component and not _language_map(component["description"]):
                return False
    return True


def _definition_ok(definition: Any) -> bool:
    if not _only(definition, _DEFINITION_KEYS):
        return False
    for key in ("name", "description"):
        if key in definition and not _language_map(definition[key]):
            return False
    if "type" in definition and not _iri(definition["type"]):
        return False
    if "moreInfo" in definition:
        more = definition["moreInfo"]
        if not (isinstance(more, str) and is_irl(more)):
            return False
    if "extensions" in definition and not _extensions(definition["extensions"]):
        return False
    if _INTERACTION_KEYS.isdisjoint(definition):
        return True
    if "interactionType" in definition:
        kind = definition["interactionType"]
        if not isinstance(kind, str) or kind not in COMPONENTS_BY_TYPE:
            return False
    pattern = definition.get("correctResponsesPattern", [])
    if type(pattern) is not list or not all(isinstance(p, str) for p in pattern):
        return False
    return _components_ok(definition) and not check_interaction(definition)


def activity_ok(activity: Any) -> bool:
    """An Activity: IRI ``id``, optional ``objectType`` "Activity" and definition."""
    if not _only(activity, _ACTIVITY_KEYS) or not _iri(activity.get("id")):
        return False
    if "objectType" in activity and activity["objectType"] != "Activity":
        return False
    return "definition" not in activity or _definition_ok(activity["definition"])


def _statement_ref_ok(ref: Any) -> bool:
    return (
        _only(ref, _REF_KEYS) and ref.get("objectType") == "StatementRef" and _uuid(ref.get("id"))
    )


def _object_ok(obj: Any, v2: bool, *, nested: bool) -> bool:
    if type(obj) is not dict:
        return False
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        return activity_ok(obj)
    if kind == "Agent":
        return agent_ok(obj, type_required=True)
    if kind == "Group":
        return group_ok(obj)
    if kind == "StatementRef":
        return _statement_ref_ok(obj)
    if kind == "SubStatement" and not nested:
        return _only(obj, _SUBSTATEMENT_KEYS) and _core_ok(obj, v2, nested=True)
    return False


def _score_ok(score: Any) -> bool:
    if not _only(score, _SCORE_KEYS):
        return False
    return all(_number(value) for value in score.values()) and not check_score(score)


def _result_ok(result: Any) -> bool:
    if not _only(result, _RESULT_KEYS):
        return False
    if "score" in result and not _score_ok(result["score"]):
        return False
    for key in ("success", "completion"):
        if key in result and type(result[key]) is not bool:
            return False
    if "response" in result and not isinstance(result["response"], str):
        return False
    if "duration" in result:
        duration = result["duration"]
        if not (isinstance(duration, str) and f.is_duration(duration)):
            return False
    return "extensions" not in result or _extensions(result["extensions"])


def _activities_ok(value: Any) -> bool:
    if type(value) is dict:
        return activity_ok(value)
    return type(value) is list and all(activity_ok(item) for item in value)


def _relevant_types_ok(item: dict[str, Any]) -> bool:
    if "relevantTypes" not in item:
        return True
    types = item["relevantTypes"]
    return type(types) is list and bool(types) and all(_iri(t) for t in types)


def _context_agents_ok(items: Any, kind: str, inner: str, allowed: frozenset[str]) -> bool:
    if type(items) is not list:
        return False
    check = agent_ok if inner == "agent" else group_ok
    for item in items:
        if not _only(item, allowed) or item.get("objectType") != kind:
            return False
        if inner not in item or not check(item[inner]) or not _relevant_types_ok(item):
            return False
    return True


def _context_refs_ok(context: dict[str, Any]) -> bool:
    """The Agents, Groups, Activities and statement a context refers to."""
    if "instructor" in context and not actor_ok(context["instructor"]):
        return False
    if "team" in context and not group_ok(context["team"]):
        return False
    if "contextActivities" in context:
        relations = context["contextActivities"]
        if not _only(relations, _RELATIONS):
            return False
        if not all(_activities_ok(value) for value in relations.values()):
            return False
    if "contextAgents" in context and not _context_agents_ok(
        context["contextAgents"], "contextAgent", "agent", _CONTEXT_AGENT_KEYS
    ):
        return False
    if "contextGroups" in context and not _context_agents_ok(
        context["contextGroups"], "contextGroup", "group", _CONTEXT_GROUP_KEYS
    ):
        return False
    return "statement" not in context or _statement_ref_ok(context["statement"])


def _context_ok(context: Any, v2: bool) -> bool:
    if not _only(context, _CONTEXT_KEYS_V2 if v2 else _CONTEXT_KEYS):
        return False
    if "registration" in context and not _uuid(context["registration"]):
        return False
    for key in ("revision", "platform"):
        if key in context and not isinstance(context[key], str):
            return False
    if "language" in context:
        language = context["language"]
        if not (isinstance(language, str) and f.is_language_tag(language)):
            return False
    if "extensions" in context and not _extensions(context["extensions"]):
        return False
    return _context_refs_ok(context)


def _attachment_ok(attachment: Any) -> bool:
    if not _only(attachment, _ATTACHMENT_KEYS):
        return False
    length = attachment.get("length")
    if not isinstance(length, int) or isinstance(length, bool) or length < 0:
        return False
    if not _iri(attachment.get("usageType")) or not _language_map(attachment.get("display")):
        return False
    if "description" in attachment and not _language_map(attachment["description"]):
        return False
    content_type, sha2 = attachment.get("contentType"), attachment.get("sha2")
    if not (isinstance(content_type, str) and _MEDIA(content_type)):
        return False
    if not (isinstance(sha2, str) and _SHA2(sha2)):
        return False
    if "fileUrl" in attachment:
        url = attachment["fileUrl"]
        return isinstance(url, str) and is_irl(url)
    return True


def _core_ok(statement: dict[str, Any], v2: bool, *, nested: bool) -> bool:
    """The properties Statements and SubStatements share, and the statement-level rules."""
    if not actor_ok(statement.get("actor")):
        return False
    verb: Any = statement.get("verb")
    if not _only(verb, _VERB_KEYS) or not _iri(verb.get("id")):
        return False
    if "display" in verb and not _language_map(verb["display"]):
        return False
    if not _object_ok(statement.get("object"), v2, nested=nested):
        return False
    if "result" in statement and not _result_ok(statement["result"]):
        return False
    if "context" in statement and not _context_ok(statement["context"], v2):
        return False
    if "timestamp" in statement and not timestamp_ok(statement["timestamp"]):
        return False
    if "attachments" in statement:
        attachments = statement["attachments"]
        if type(attachments) is not list or not all(_attachment_ok(a) for a in attachments):
            return False
    return not check_statement(statement)


def accepts(statement: Any, version: str) -> bool:
    """True when marshmallow would accept ``statement`` under the rules of ``version``.

    ``version`` is the rules version of this statement ("1.0.3" or "2.0.0", as
    ``statements.validate`` resolves it). False means "not sure": run the schemas.
    """
    if not _only(statement, _STATEMENT_KEYS):
        return False
    if "id" in statement and not _uuid(statement["id"]):
        return False
    if "stored" in statement and not timestamp_ok(statement["stored"]):
        return False
    if "authority" in statement and not _authority_ok(statement["authority"]):
        return False
    if "version" in statement:
        declared = statement["version"]
        if not (isinstance(declared, str) and f.is_version(declared, version)):
            return False
    return _core_ok(statement, version.startswith("2."), nested=False)
