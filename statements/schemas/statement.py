"""Statements (Data 2.4): Statement, SubStatement, StatementRef, Verb, object dispatch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, validates_schema

from statements import fields as f
from statements.rules import check_statement
from statements.schemas.activities import ACTIVITY
from statements.schemas.actors import AGENT_WITH_TYPE, GROUP, Actor, Authority
from statements.schemas.attachments import ATTACHMENT
from statements.schemas.base import (
    Array,
    Dispatch,
    Forbidden,
    MemoSchema,
    Object,
    XapiSchema,
    object_type_error,
    raise_issues,
)
from statements.schemas.context import CONTEXT
from statements.schemas.result import RESULT

OBJECT_TYPES = ("Activity", "Agent", "Group", "StatementRef", "SubStatement")


class VerbSchema(MemoSchema):
    """A Verb: an IRI ``id`` and an optional ``display`` language map."""

    id = f.IRI(required=True)
    display = f.LanguageMap()


class StatementRefSchema(XapiSchema):
    """A reference to another statement by id."""

    objectType = f.Constant("StatementRef", rule="object_type", required=True)
    id = f.UUID(required=True)


STATEMENT_REF = StatementRefSchema()


class _StatementCore(XapiSchema):
    """Properties shared by Statements and SubStatements."""

    actor = Actor(required=True)
    verb = Object(VerbSchema(), required=True)
    result = Object(RESULT)
    context = Object(CONTEXT)
    timestamp = f.Timestamp()
    attachments = Array(Object(ATTACHMENT))

    @validates_schema(skip_on_field_errors=False)
    def _statement_rules(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        raise_issues(check_statement(data))


class SubStatementSchema(_StatementCore):
    """A statement used as the object of another; it cannot nest another SubStatement."""

    objectType = f.Constant("SubStatement", rule="object_type", required=True)
    object = Dispatch(lambda value: choose_object(value, nested=True), required=True)
    id = Forbidden("substatement_properties", "A SubStatement must not have an id.")
    stored = Forbidden("substatement_properties", "A SubStatement must not have stored.")
    version = Forbidden("substatement_properties", "A SubStatement must not have a version.")
    authority = Forbidden("substatement_properties", "A SubStatement must not have authority.")


SUBSTATEMENT = SubStatementSchema()


def choose_object(value: Mapping[str, Any], *, nested: bool = False) -> Schema:
    """The schema for a statement's ``object``, dispatched on ``objectType``."""
    kind = value.get("objectType", "Activity")
    if kind == "SubStatement" and nested:
        raise ValidationError(
            {"objectType": [f.tag("substatement_nesting", "A SubStatement cannot nest another.")]}
        )
    schemas: dict[str, Schema] = {
        "Activity": ACTIVITY,
        "Agent": AGENT_WITH_TYPE,
        "Group": GROUP,
        "StatementRef": STATEMENT_REF,
        "SubStatement": SUBSTATEMENT,
    }
    if not isinstance(kind, str) or kind not in schemas:
        raise object_type_error(kind, OBJECT_TYPES)
    return schemas[kind]


class StatementSchema(_StatementCore):
    """A complete statement, as posted to or returned by the LRS."""

    id = f.UUID()
    object = Dispatch(choose_object, required=True)
    stored = f.Timestamp()
    authority = Authority()
    version = f.Version()


STATEMENT = StatementSchema()
