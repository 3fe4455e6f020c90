"""Statement equivalence (Data 2.3.1 Statement Immutability, "Statement Comparison Requirements").

Used when a statement id is posted again: an equivalent statement is accepted (no-op), a
different one is a 409 Conflict. Differences that an exception to immutability could cause
are ignored; every other difference counts:

* LRS-assigned properties: ``stored``, ``authority`` and ``version`` are ignored; ``id`` and
  the top-level ``timestamp`` are compared only when both statements have them (the LRS
  fills them in when missing).
* Timestamps are compared as points in time, to the millisecond (the LRS may change the time
  zone and may truncate to milliseconds); a timestamp without offset is read as UTC.
* Activity Definitions and the Verb ``display`` are not part of the statement: ignored.
* Case-insensitive data: the ``mailto:`` domain of ``mbox``, SHA-1 hex digits, UUIDs
  (``id``, ``registration``, StatementRef ids) and language-map keys.
* Unordered lists: Group ``member`` and the ``attachments`` metadata array.
* ``contextActivities``: a single Activity equals an array holding it.
* ``result.duration`` is a string, with precision beyond 0.01 s ignored (Data 4.6).
* JSON types matter: ``true`` never equals ``1``; ``1`` equals ``1.0``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC
from typing import Any

from statements.fields import parse_timestamp
from statements.ifi import normalise_mbox

_SECONDS_FRACTION = re.compile(r"(\d+)[.,](\d{1,2})\d*S$")


def _canon(value: Any) -> Any:
    """A hashable, type-tagged form of JSON data (booleans stay distinct from numbers)."""
    if isinstance(value, Mapping):
        return ("o", tuple(sorted((key, _canon(item)) for key, item in value.items())))
    if isinstance(value, list | tuple):
        return ("a", tuple(_canon(item) for item in value))
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int | float):
        return ("n", float(value))
    if value is None:
        return ("z",)
    return ("s", str(value))


def instant(value: Any) -> Any:
    """A timestamp as a UTC datetime truncated to milliseconds (the string if unparseable)."""
    if not isinstance(value, str):
        return value
    parsed = parse_timestamp(value)
    if parsed is None:
        return value
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    return parsed.replace(microsecond=parsed.microsecond // 1000 * 1000)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _language_map(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key).lower(): text for key, text in value.items()}
    return value


def _actor(actor: Any) -> Any:
    if not isinstance(actor, Mapping):
        return actor
    out = dict(actor)
    if isinstance(out.get("mbox"), str):
        out["mbox"] = normalise_mbox(out["mbox"])
    if "mbox_sha1sum" in out:
        out["mbox_sha1sum"] = _lower(out["mbox_sha1sum"])
    if isinstance(out.get("member"), list):
        out["member"] = sorted((_canon(_actor(m)) for m in out["member"]), key=repr)
    return out


def _activity(activity: Any) -> Any:
    if not isinstance(activity, Mapping):
        return activity
    return {key: value for key, value in activity.items() if key != "definition"}


def _object(obj: Any) -> Any:
    if not isinstance(obj, Mapping):
        return obj
    kind = obj.get("objectType", "Activity")
    if kind in ("Agent", "Group"):
        return _actor(obj)
    if kind == "StatementRef":
        return {**obj, "id": _lower(obj.get("id"))}
    if kind == "SubStatement":
        return _statement(obj, top=False)
    return {**_activity(obj), "objectType": "Activity"}


def _context(context: Any) -> Any:
    if not isinstance(context, Mapping):
        return context
    out = dict(context)
    if "registration" in out:
        out["registration"] = _lower(out["registration"])
    for key in ("instructor", "team"):
        if key in out:
            out[key] = _actor(out[key])
    activities = out.get("contextActivities")
    if isinstance(activities, Mapping):
        out["contextActivities"] = {
            key: [_activity(a) for a in (value if isinstance(value, list) else [value])]
            for key, value in activities.items()
        }
    for key, inner in (("contextAgents", "agent"), ("contextGroups", "group")):
        if isinstance(out.get(key), list):
            out[key] = [
                {**item, inner: _actor(item.get(inner))} if isinstance(item, Mapping) else item
                for item in out[key]
            ]
    if isinstance(out.get("statement"), Mapping):
        out["statement"] = _object(out["statement"])
    return out


def _result(result: Any) -> Any:
    if not isinstance(result, Mapping) or not isinstance(result.get("duration"), str):
        return result
    return {**result, "duration": _SECONDS_FRACTION.sub(r"\1.\2S", result["duration"])}


def _statement(statement: Mapping[str, Any], *, top: bool) -> dict[str, Any]:
    ignored = ("stored", "authority", "version", "id", "timestamp") if top else ()
    out = {key: value for key, value in statement.items() if key not in ignored}
    out["actor"] = _actor(out.get("actor"))
    if isinstance(out.get("verb"), Mapping):
        out["verb"] = {k: v for k, v in out["verb"].items() if k != "display"}
    out["object"] = _object(out.get("object"))
    if "context" in out:
        out["context"] = _context(out["context"])
    if "result" in out:
        out["result"] = _result(out["result"])
    if "timestamp" in out:
        out["timestamp"] = str(instant(out["timestamp"]))
    if isinstance(out.get("attachments"), list):
        out["attachments"] = sorted(
            (
                _canon(
                    {
                        **a,
                        "display": _language_map(a.get("display")),
                        "description": _language_map(a.get("description")),
                        "sha2": _lower(a.get("sha2")),
                    }
                )
                for a in out["attachments"]
                if isinstance(a, Mapping)
            ),
            key=repr,
        )
    return out


def _both_present_differ(a: Mapping[str, Any], b: Mapping[str, Any], key: str) -> bool:
    if key not in a or key not in b:
        return False
    if key == "timestamp":
        return bool(instant(a[key]) != instant(b[key]))
    return bool(_lower(a[key]) != _lower(b[key]))


def equivalent(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """True when ``a`` and ``b`` are the same statement per the comparison requirements."""
    if _both_present_differ(a, b, "id") or _both_present_differ(a, b, "timestamp"):
        return False
    return bool(_canon(_statement(a, top=True)) == _canon(_statement(b, top=True)))
