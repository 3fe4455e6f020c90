"""Actors (Data 2.4.2): Agents, identified and anonymous Groups, Accounts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, validates_schema

from statements import fields as f
from statements.rules import check_agent, check_authority, check_group
from statements.schemas.base import Array, Dispatch, MemoSchema, Object, XapiSchema, raise_issues


class AccountSchema(XapiSchema):
    """An account on an existing system: ``homePage`` (IRL) and ``name``."""

    homePage = f.IRL(required=True)
    name = f.String(required=True)


class _IfiFields(MemoSchema):
    """Properties shared by Agents and Groups."""

    name = f.String()
    mbox = f.Mbox()
    mbox_sha1sum = f.Sha1()
    openid = f.URI()
    account = Object(AccountSchema())


class AgentSchema(_IfiFields):
    """An Agent: ``objectType`` is optional (required by the caller when used as an object)."""

    objectType = f.Constant("Agent", rule="object_type")

    @validates_schema
    def _one_ifi(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        raise_issues(check_agent(data))


class RequiredTypeAgentSchema(AgentSchema):
    """An Agent whose ``objectType`` must be present (a statement's object)."""

    objectType = f.Constant("Agent", rule="object_type", required=True)


def _member(value: Mapping[str, Any]) -> Schema:
    if value.get("objectType") == "Group":
        raise ValidationError(
            {"objectType": [f.tag("group_member", "A Group cannot contain Groups.")]}
        )
    return AGENT


class GroupSchema(_IfiFields):
    """A Group: identified (one IFI) or anonymous (no IFI, with members)."""

    objectType = f.Constant("Group", rule="object_type", required=True)
    member = Array(Dispatch(_member))

    @validates_schema
    def _identified_or_anonymous(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        raise_issues(check_group(data))


AGENT = AgentSchema()
AGENT_WITH_TYPE = RequiredTypeAgentSchema()
GROUP = GroupSchema()


def choose_actor(value: Mapping[str, Any]) -> Schema:
    """Agent or Group by ``objectType`` (an absent objectType means Agent)."""
    return GROUP if value.get("objectType") == "Group" else AGENT


def choose_authority(value: Mapping[str, Any]) -> Schema:
    """Like :func:`choose_actor`, plus the authority rules (OAuth Group of two Agents)."""
    return AUTHORITY_GROUP if value.get("objectType") == "Group" else AGENT


class AuthorityGroupSchema(GroupSchema):
    """A Group used as ``authority``: anonymous, exactly two Agents."""

    @validates_schema
    def _oauth_pair(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        raise_issues(check_authority(data))


AUTHORITY_GROUP = AuthorityGroupSchema()


def Actor(**kwargs: Any) -> Dispatch:
    """A field holding an Agent or a Group."""
    return Dispatch(choose_actor, **kwargs)


def Authority(**kwargs: Any) -> Dispatch:
    """A field holding a statement authority."""
    return Dispatch(choose_authority, **kwargs)
