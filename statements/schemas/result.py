"""Result (Data 2.4.5): score, success, completion, response, duration, extensions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import validates_schema

from statements import fields as f
from statements.rules import check_score
from statements.schemas.base import MemoSchema, Object, XapiSchema, raise_issues


class ScoreSchema(XapiSchema):
    """A score: ``scaled`` in [-1, 1], ``raw`` between ``min`` and ``max``."""

    scaled = f.Number()
    raw = f.Number()
    min = f.Number()
    max = f.Number()

    @validates_schema(skip_on_field_errors=False)
    def _ranges(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        raise_issues(check_score(data))


class ResultSchema(MemoSchema):
    """The outcome of a statement."""

    score = Object(ScoreSchema())
    success = f.Boolean()
    completion = f.Boolean()
    response = f.String()
    duration = f.Duration()
    extensions = f.Extensions()


RESULT = ResultSchema()
