"""Activities (Data 2.4.4.1): Activity, Activity Definition, interaction components."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import validates_schema

from statements import fields as f
from statements.rules import COMPONENTS_BY_TYPE, check_interaction
from statements.schemas.base import Array, MemoSchema, Object, XapiSchema, raise_issues


class InteractionComponentSchema(XapiSchema):
    """One choice / scale point / source / target / step of an interaction."""

    id = f.String(required=True)
    description = f.LanguageMap()


def _components() -> Array:
    return Array(Object(InteractionComponentSchema()))


class DefinitionSchema(XapiSchema):
    """An Activity Definition, including the interaction properties."""

    name = f.LanguageMap()
    description = f.LanguageMap()
    type = f.IRI()
    moreInfo = f.IRL()
    extensions = f.Extensions()
    interactionType = f.Constant(*COMPONENTS_BY_TYPE, rule="interaction_type")
    correctResponsesPattern = Array(f.String())
    choices = _components()
    scale = _components()
    source = _components()
    target = _components()
    steps = _components()

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _interaction(
        self, data: Mapping[str, Any], original_data: Mapping[str, Any], **kwargs: Any
    ) -> None:
        if not isinstance(original_data, Mapping):
            return  # not an object: already reported (this hook runs even then)
        if "interactionType" in original_data and "interactionType" not in data:
            return  # an invalid interactionType is already reported
        raise_issues(check_interaction(data))


class ActivitySchema(MemoSchema):
    """An Activity: an IRI ``id`` and an optional definition."""

    objectType = f.Constant("Activity", rule="object_type")
    id = f.IRI(required=True)
    definition = Object(DefinitionSchema())


ACTIVITY = ActivitySchema()
