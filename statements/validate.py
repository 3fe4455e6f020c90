"""Entry points: validate parsed JSON statements (and Agents) against the xAPI Data section.

Version decisions (request version = the ``X-Experience-API-Version`` the client sent):

* ``SUPPORTED_VERSIONS`` are "1.0.3" and "2.0.0"; any ``1.0.x`` / ``2.0.x`` request version is
  read as the supported one of its line.
* Under a 1.0.3 request a statement's ``version`` must be ``1.0`` or ``1.0.x`` (1.0.3, Data
  2.4.10: "MUST reject all Statements with a version ... that does not start with 1.0."), so a
  ``2.0.0`` statement is refused. Under a 2.0 request ``1.0(.x)`` and ``2.0(.x)`` are accepted.
* Each statement is checked by the rules of *its own* line: a statement declaring
  ``"version": "1.0.x"`` sent to the 2.0 API is validated with the 1.0.3 rules (no
  ``contextAgents``/``contextGroups``; timestamps may omit the offset), so records exported
  from a 1.0.3 LRS can be imported unchanged. A statement without ``version`` follows the
  request version.
* 2.0 rules: timestamps are RFC 3339 with a mandatory offset; ``contextAgents`` and
  ``contextGroups`` are allowed. 1.0.3 rules: ISO 8601 extended or basic timestamps with an
  optional offset. Both refuse the ``-00:00`` / ``-0000`` / ``-00`` offsets.

Normalisation: statements are returned as received except that every ``contextActivities``
value becomes an array (Data 2.4.6.2: the LRS MUST return them as arrays). Timestamps are not
converted to UTC (the spec allows but does not require it; the original serialisation is
kept, and :mod:`statements.compare` compares them as instants).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError

from statements import fastcheck
from statements.errors import FieldError, StatementValidationError
from statements.fields import untag, using_version
from statements.rules import check_batch_ids, ifis_of
from statements.schemas.actors import GROUP, choose_actor
from statements.schemas.statement import STATEMENT

SUPPORTED_VERSIONS = ("1.0.3", "2.0.0")

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def rules_version(version: str) -> str:
    """Map a request version (``1.0.x`` / ``2.0.x``) to the supported version whose rules apply.

    Raises ``ValueError`` for any other version (the HTTP edge answers 400 before this).
    """
    for supported in SUPPORTED_VERSIONS:
        if version == supported[:3] or version.startswith(supported[:4]):
            return supported
    raise ValueError(f"unsupported xAPI version {version!r}")


def json_path(base: str, key: str | int) -> str:
    """Append one key to a JSON path: ``$.a``, ``$[2]``, ``$.extensions["http://x"]``."""
    if isinstance(key, int):
        return f"{base}[{key}]"
    if key == "_schema":
        return base
    if _IDENTIFIER.match(key):
        return f"{base}.{key}"
    return f"{base}[{json.dumps(key, ensure_ascii=False)}]"


def flatten_messages(messages: Any, base: str) -> list[FieldError]:
    """Turn marshmallow's nested error messages into ``FieldError`` items with JSON paths."""
    if isinstance(messages, Mapping):
        found: list[FieldError] = []
        for key, value in messages.items():
            found.extend(flatten_messages(value, json_path(base, key)))
        return found
    if isinstance(messages, list | tuple):
        found = []
        for item in messages:
            if isinstance(item, str):
                rule, text = untag(item)
                found.append(FieldError(base, rule, text))
            else:
                found.extend(flatten_messages(item, base))
        return found
    rule, text = untag(str(messages))
    return [FieldError(base, rule, text)]


def _load(schema: Schema, value: Any, version: str, base: str) -> list[FieldError]:
    if not isinstance(value, dict):
        return [FieldError(base, "type", "Expected a JSON object.")]
    with using_version(version):
        try:
            schema.load(value)
        except ValidationError as err:
            return flatten_messages(err.messages, base)
    return []


def _statement_version(statement: Mapping[str, Any], request_version: str) -> str:
    declared = statement.get("version")
    if (
        request_version.startswith("2.")
        and isinstance(declared, str)
        and (declared == "1.0" or declared.startswith("1.0."))
    ):
        return "1.0.3"
    return request_version


def _normalise(statement: dict[str, Any]) -> dict[str, Any]:
    """Return ``statement`` with every contextActivities value as an array (copying as needed)."""
    result = statement
    context = statement.get("context")
    if isinstance(context, dict):
        activities = context.get("contextActivities")
        if isinstance(activities, dict) and any(isinstance(v, dict) for v in activities.values()):
            fixed = {k: [v] if isinstance(v, dict) else v for k, v in activities.items()}
            result = {**statement, "context": {**context, "contextActivities": fixed}}
    obj = statement.get("object")
    if isinstance(obj, dict) and obj.get("objectType") == "SubStatement":
        new_obj = _normalise(obj)
        if new_obj is not obj:
            result = {**result, "object": new_obj}
    return result


def _fail(errors: list[FieldError], what: str) -> StatementValidationError:
    first = errors[0]
    summary = f"{len(errors)} error(s) in {what}; first at {first.path}: {first.message}"
    return StatementValidationError(summary, errors)


def validate_statements(
    payload: object, version: str, *, fast: bool = True
) -> list[dict[str, Any]]:
    """Validate one statement or a non-empty batch against the rules of ``version``.

    ``payload`` is parsed JSON: a statement object or a non-empty list of them. Returns the
    statements as a list (a single object becomes a 1-item list), normalised only as the module
    docstring says. Raises :class:`StatementValidationError` listing every error found in every
    item; paths start at ``$`` for a single object and ``$[i]`` for item ``i`` of a batch.

    With ``fast`` (the default) a statement that :func:`statements.fastcheck.accepts` is not
    loaded through the marshmallow schemas; every other statement is, so errors (and the rare
    shapes) always come from marshmallow. ``fast=False`` runs marshmallow on every statement.
    """
    request_version = rules_version(version)
    if isinstance(payload, dict):
        items: list[Any] = [payload]
        bases = ["$"]
    elif isinstance(payload, list):
        if not payload:
            raise _fail([FieldError("$", "batch_empty", "A batch must not be empty.")], "batch")
        items = payload
        bases = [f"$[{index}]" for index in range(len(payload))]
    else:
        raise _fail([FieldError("$", "type", "Expected a statement or an array of them.")], "body")
    errors: list[FieldError] = []
    for item, base in zip(items, bases, strict=True):
        item_version = (
            _statement_version(item, request_version) if isinstance(item, dict) else request_version
        )
        if fast and fastcheck.accepts(item, item_version):
            continue
        errors.extend(_load(STATEMENT, item, item_version, base))
    if isinstance(payload, list):
        for path, rule, message in check_batch_ids(payload):
            errors.append(FieldError(_path_of("$", path), rule, message))
    if errors:
        raise _fail(errors, "statements" if isinstance(payload, list) else "statement")
    return [_normalise(item) for item in items]


def _path_of(base: str, keys: tuple[str | int, ...]) -> str:
    for key in keys:
        base = json_path(base, key)
    return base


def validate_agent(
    obj: object, version: str, path: str = "$", *, require_ifi: bool = False
) -> dict[str, Any]:
    """Validate an Agent or Group object (the ``agent`` parameter, the document APIs).

    ``require_ifi=True`` refuses anonymous Groups (the ``agent`` query parameter and the Agents
    resource need an identifiable Agent or Group). Returns ``obj`` unchanged.
    """
    request_version = rules_version(version)
    if not isinstance(obj, dict):
        raise _fail([FieldError(path, "type", "Expected an Agent or Group object.")], "agent")
    schema = choose_actor(obj)
    errors = _load(schema, obj, request_version, path)
    if not errors and require_ifi and schema is GROUP and not ifis_of(obj):
        errors.append(FieldError(path, "one_ifi", "An identified Agent or Group is required."))
    if errors:
        raise _fail(errors, "agent")
    return obj
