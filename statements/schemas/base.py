"""Shared schema machinery: the strict base schema and the structural fields.

* :class:`XapiSchema` refuses unknown properties (``unknown=RAISE``) and non-object input with
  tagged messages.
* :class:`Object` / :class:`Array` are ``Nested`` / ``List`` with tagged messages.
* :class:`Dispatch` picks a schema from the value itself (``objectType`` dispatch).
* :func:`raise_issues` turns the issues found by :mod:`statements.rules` into a marshmallow error.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields
from marshmallow.types import ErrorMessages
from marshmallow.validate import Length

from statements.fields import BASE_MESSAGES, XAPI_VERSION, tag
from statements.rules import Issue


class XapiSchema(Schema):
    """Strict base: unknown properties and non-object input are errors."""

    class Meta:
        """Refuse properties the spec does not define."""

        unknown = RAISE

    error_messages = {
        "unknown": tag("unknown_property", "Property not allowed here."),
        "type": tag("type", "Expected a JSON object."),
    }


_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


class MemoSchema(XapiSchema):
    """An :class:`XapiSchema` that remembers the objects it accepted (a bounded memo).

    Loading is a pure function of the object and the active rules version, so an object equal
    to one accepted before (same canonical JSON: sorted keys, ``1``, ``1.0`` and ``true`` kept
    apart) under the same version is accepted again without re-running every field. Verbs,
    Activities, Agents and contexts repeat across a batch (one course, one registration, one
    learner), which makes bulk validation several times faster. Refusals are not memoised:
    they are rare and their messages are built fresh. At most ``memo_size`` objects are kept
    (oldest dropped first).
    """

    memo_size = 4096

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._memo: dict[tuple[str, str], Any] = {}
        self._memo_lock = threading.Lock()

    def load(self, data: Any, **kwargs: Any) -> Any:
        """``Schema.load``, answered from the memo for an object accepted before."""
        if any(v is not None for v in kwargs.values()) or type(data) is not dict:
            return super().load(data, **kwargs)  # many / partial / unknown given: no memo
        try:
            key = (XAPI_VERSION.get(), _canonical(data))
        except (TypeError, ValueError):  # not plain JSON: no memo
            return super().load(data)
        with self._memo_lock:
            if key in self._memo:
                return self._memo[key]
        result = super().load(data)
        with self._memo_lock:
            if len(self._memo) >= self.memo_size:
                del self._memo[next(iter(self._memo))]
            self._memo[key] = result
        return result


class Object(fields.Nested):
    """A nested xAPI object."""

    default_error_messages: ErrorMessages = {
        **BASE_MESSAGES,
        "type": tag("type", "Expected a JSON object."),
    }


class Array(fields.List[Any]):
    """A JSON array of ``inner`` values, optionally with a minimum length."""

    default_error_messages: ErrorMessages = {
        **BASE_MESSAGES,
        "invalid": tag("type", "Expected an array."),
    }

    def __init__(self, inner: fields.Field[Any], *, min_items: int = 0, **kwargs: Any) -> None:
        validators = [Length(min=min_items, error=tag("min_items", "Must not be empty."))]
        super().__init__(inner, validate=validators if min_items else None, **kwargs)


Chooser = Callable[[Mapping[str, Any]], Schema]


class Dispatch(fields.Field[Any]):
    """A JSON object validated by the schema ``choose(value)`` returns.

    ``choose`` raises ``ValidationError`` when no schema fits (e.g. a bad ``objectType``).
    """

    default_error_messages: ErrorMessages = BASE_MESSAGES

    def __init__(self, choose: Chooser, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.choose = choose

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        if not isinstance(value, dict):
            raise ValidationError(tag("type", "Expected a JSON object."))
        return self.choose(value).load(value)


class Forbidden(fields.Field[Any]):
    """A property that must be absent here (e.g. ``id`` in a SubStatement)."""

    default_error_messages: ErrorMessages = BASE_MESSAGES

    def __init__(self, rule: str, message: str) -> None:
        super().__init__()
        self.message = tag(rule, message)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        raise ValidationError(self.message)


def object_type_error(value: Any, allowed: Sequence[str]) -> ValidationError:
    """The error for an ``objectType`` outside ``allowed``."""
    if not isinstance(value, str):
        message = tag("type", "Expected a string.")
    else:
        message = tag("object_type", f"objectType must be one of {', '.join(allowed)}.")
    return ValidationError({"objectType": [message]})


def issues_to_messages(issues: Sequence[Issue]) -> dict[str | int, Any]:
    """Nest ``(path, rule, message)`` issues into marshmallow's error-message structure."""
    root: dict[str | int, Any] = {}
    for path, rule, message in issues:
        node = root
        keys: tuple[str | int, ...] = path or ("_schema",)
        for key in keys[:-1]:
            child = node.setdefault(key, {})
            if isinstance(child, list):  # a message already sits here: keep both
                child = node[key] = {"_schema": child}
            node = child
        leaf = node.setdefault(keys[-1], [])
        if isinstance(leaf, dict):
            leaf = leaf.setdefault("_schema", [])
        leaf.append(tag(rule, message))
    return root


def raise_issues(issues: Sequence[Issue]) -> None:
    """Raise the marshmallow error for ``issues`` (no-op when there are none)."""
    if issues:
        raise ValidationError(issues_to_messages(issues))
