"""Which statements an erasure (right to be forgotten) removes: the rule, pure and testable.

An agent *appears in* a statement when its IFI key (:func:`statements.ifi.agent_key`) is the
``actor``, an Agent/Group ``object``, ``context.instructor``, ``context.team``, an agent of
``context.contextAgents`` or a group of ``context.contextGroups`` — directly or as a member of a
Group — at the top level or inside a SubStatement object. The ``authority`` does not count: it
is the credential that stored the statement (an erasure never deletes other people's records
because the erased person's credential stored them; revoke the credential instead).

Statements that only exist to refer to an erased statement (a StatementRef object targeting it,
voiding statements included) are erased too, transitively. Free text and extension values are
not searched: an IFI written into ``result.response`` is not recognised as the agent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from typing import Any

from statements.ifi import agent_key, normalise_mbox


def _keys(agent: Any) -> Iterator[str]:
    """IFI keys of an Agent or Group and of the Group's members."""
    if not isinstance(agent, Mapping):
        return
    key = agent_key(agent)
    if key is not None:
        yield key
    for member in agent.get("member") or []:
        if isinstance(member, Mapping):
            member_key = agent_key(member)
            if member_key is not None:
                yield member_key


def agents_in(statement: Mapping[str, Any]) -> set[str]:
    """IFI keys of every agent that appears in the statement (authority excluded)."""
    found: set[str] = set(_keys(statement.get("actor")))
    obj = statement.get("object")
    if isinstance(obj, Mapping):
        kind = obj.get("objectType")
        if kind in ("Agent", "Group"):
            found.update(_keys(obj))
        elif kind == "SubStatement":
            found.update(agents_in(obj))
    context = statement.get("context")
    if isinstance(context, Mapping):
        found.update(_keys(context.get("instructor")))
        found.update(_keys(context.get("team")))
        for item in context.get("contextAgents") or []:
            if isinstance(item, Mapping):
                found.update(_keys(item.get("agent")))
        for item in context.get("contextGroups") or []:
            if isinstance(item, Mapping):
                found.update(_keys(item.get("group")))
    return found


def mentions(statement: Mapping[str, Any], key: str) -> bool:
    """True when the agent with IFI ``key`` appears in the statement (see the module doc)."""
    return key in agents_in(statement)


def erasure_keys(agent: Mapping[str, Any]) -> list[str]:
    """The IFI keys to erase for an Agent: its own, and for an ``mbox`` its ``mbox_sha1sum``.

    xAPI lets a client identify the same mailbox by its SHA-1 (Data 2.4.2.3), so erasing a
    mailbox also erases the statements that used its hash.
    """
    key = agent_key(agent)
    if key is None:
        return []
    keys = [key]
    mbox = agent.get("mbox")
    if isinstance(mbox, str):
        for text in dict.fromkeys((mbox, normalise_mbox(mbox))):
            keys.append("mbox_sha1sum:" + hashlib.sha1(text.encode()).hexdigest())
    return list(dict.fromkeys(keys))
