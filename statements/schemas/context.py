"""Context (Data 2.4.6), including the xAPI 2.0 ``contextAgents`` / ``contextGroups``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields
from marshmallow.types import ErrorMessages

from statements import fields as f
from statements.schemas.activities import ACTIVITY
from statements.schemas.actors import AGENT, GROUP, Actor
from statements.schemas.base import Array, MemoSchema, Object, XapiSchema


class OneOrMoreActivities(fields.Field[Any]):
    """A single Activity or an array of Activities (returned as an array by the LRS)."""

    default_error_messages: ErrorMessages = f.BASE_MESSAGES

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        if isinstance(value, dict):
            return ACTIVITY.load(value)
        if not isinstance(value, list):
            raise ValidationError(f.tag("type", "Expected an Activity or an array of them."))
        errors: dict[int, Any] = {}
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                errors[index] = [f.tag("type", "Expected a JSON object.")]
                continue
            try:
                ACTIVITY.load(item)
            except ValidationError as err:
                errors[index] = err.messages
        if errors:
            raise ValidationError(errors)
        return value


class ContextActivitiesSchema(XapiSchema):
    """Activities related to the statement, by relation."""

    parent = OneOrMoreActivities()
    grouping = OneOrMoreActivities()
    category = OneOrMoreActivities()
    other = OneOrMoreActivities()


class ContextAgentSchema(XapiSchema):
    """xAPI 2.0: an Agent related to the statement, with optional relevant types."""

    objectType = f.Constant("contextAgent", rule="object_type", required=True)
    agent = Object(AGENT, required=True)
    relevantTypes = Array(f.IRI(), min_items=1)


class ContextGroupSchema(XapiSchema):
    """xAPI 2.0: a Group related to the statement, with optional relevant types."""

    objectType = f.Constant("contextGroup", rule="object_type", required=True)
    group = Object(GROUP, required=True)
    relevantTypes = Array(f.IRI(), min_items=1)


class Since20Array(Array):
    """An array property that exists only in xAPI 2.0 (unknown under 1.0.3)."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        if not f.is_v2():
            raise ValidationError(f.tag("unknown_property", "Property not defined in xAPI 1.0.3."))
        return super()._deserialize(value, attr, data, **kwargs)


def _statement_ref() -> Schema:
    from statements.schemas.statement import STATEMENT_REF  # import cycle: statement -> context

    return STATEMENT_REF


class ContextSchema(MemoSchema):
    """The context of a statement."""

    registration = f.UUID()
    instructor = Actor()
    team = Object(GROUP)
    contextActivities = Object(ContextActivitiesSchema())
    contextAgents = Since20Array(Object(ContextAgentSchema()))
    contextGroups = Since20Array(Object(ContextGroupSchema()))
    revision = f.String()
    platform = f.String()
    language = f.LanguageTag()
    statement = Object(_statement_ref)
    extensions = f.Extensions()


CONTEXT = ContextSchema()
