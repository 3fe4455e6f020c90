"""Read an import file (CSV or JSON Lines) and check every row against its kind's schema.

Every problem is reported as ``{line, column, reason}`` (line 1 of a CSV is its header); a
problem with the file as a whole (unknown or missing columns, patient identifiers, not UTF-8)
raises :class:`FileRefused` and nothing of the file is used.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from analytics.imports.spec import PATIENT_IDENTIFIERS, Column, Kind
from statements import safejson
from statements.errors import BadRequest

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


class FileRefused(ValueError):
    """The file is refused as a whole; ``errors`` say why."""

    def __init__(self, message: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors


@dataclass
class Checked:
    """Validated rows (typed, keyed by input column) and the row errors found."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    read: int = 0


def _err(line: int, column: str, reason: str) -> dict[str, Any]:
    return {"line": line, "column": column, "reason": reason}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def check_header(kind: Kind, names: list[str]) -> None:
    """Refuse patient identifiers, unknown, duplicate or missing required columns."""
    patient = [n for n in names if _norm(n) in PATIENT_IDENTIFIERS]
    if patient:
        errors = [_err(1, n, "patient identifier column: the file is refused") for n in patient]
        raise FileRefused("file carries patient identifiers and is refused as a whole", errors)
    known = set(kind.column_names)
    errors = [_err(1, n, "unknown column") for n in names if n not in known]
    errors += [_err(1, n, "duplicate column") for i, n in enumerate(names) if n in names[:i]]
    present = set(names)
    errors += [
        _err(1, c.name, "required column missing")
        for c in kind.columns
        if c.required and c.name not in present
    ]
    if errors:
        raise FileRefused(f"{kind.name}: the columns do not match the schema", errors)


def read_rows(kind: Kind, data: bytes, fmt: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, raw row) pairs of a ``csv`` or ``jsonl`` file, header checked first."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRefused("file is not UTF-8", [_err(0, "", str(exc))]) from exc
    if fmt == "csv":
        yield from _csv_rows(kind, text)
    elif fmt == "jsonl":
        yield from _jsonl_rows(kind, text)
    else:
        raise FileRefused(f"unknown format {fmt!r}: use csv or jsonl", [])


def _csv_rows(kind: Kind, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise FileRefused("empty file: a header row is required", [_err(1, "", "no header")])
    names = [h.strip() for h in header]
    check_header(kind, names)
    start = reader.line_num + 1
    for values in reader:
        line = start
        start = reader.line_num + 1
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(names):
            yield line, _shape_error(names, values)
            continue
        yield line, dict(zip(names, values, strict=True))


def _shape_error(names: list[str], values: list[str]) -> dict[str, Any]:
    """The row error for a CSV row with too few or too many values, naming the column."""
    counted = f"{len(values)} values for {len(names)} columns"
    if len(values) < len(names):
        missing = names[len(values) :]
        return {"__shape__": f"{counted}: missing {', '.join(missing)}", "__column__": missing[0]}
    return {"__shape__": f"{counted}: extra values after {names[-1]}", "__column__": names[-1]}


def _jsonl_rows(kind: Kind, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    names: set[str] = set()
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = safejson.loads_text(raw)
        except BadRequest as exc:
            where = exc.errors[0] if exc.errors else None
            detail = f"{where.rule} at {where.path}: " if where else ""
            rows.append((number, {"__shape__": f"not JSON: {detail}{exc.message}"}))
            continue
        if not isinstance(obj, dict):
            rows.append((number, {"__shape__": "each line must be a JSON object"}))
            continue
        names.update(obj)
        rows.append((number, obj))
    check_header(kind, sorted(names - {"__shape__"}) if names else [c.name for c in kind.columns])
    yield from rows


def check_rows(kind: Kind, rows: Iterator[tuple[int, dict[str, Any]]]) -> Checked:
    """Type every row; collect row errors; later duplicates of a key are errors too."""
    out = Checked()
    seen: dict[tuple[Any, ...], int] = {}
    for line, raw in rows:
        out.read += 1
        if "__shape__" in raw:
            out.errors.append(_err(line, str(raw.get("__column__", "")), str(raw["__shape__"])))
            continue
        typed, errors = _check_row(kind, line, raw)
        if not errors:
            key = tuple(typed[k] for k in kind.key)
            if key in seen:
                errors.append(_err(line, ",".join(kind.key), f"duplicate key of line {seen[key]}"))
            else:
                seen[key] = line
        if errors:
            out.errors.extend(errors)
        else:
            out.rows.append(typed)
    return out


def _check_row(kind: Kind, line: int, raw: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    typed: dict[str, Any] = {}
    errors = []
    for col in kind.columns:
        try:
            typed[col.name] = convert(col, raw.get(col.name))
        except ValueError as exc:
            errors.append(_err(line, col.name, str(exc)))
    if not errors:
        for check in kind.checks:
            errors += [_err(line, column, reason) for column, reason in check(typed)]
    return typed, errors


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def convert(col: Column, value: Any) -> Any:
    """The typed value of one cell, or ``ValueError`` with the reason."""
    if _blank(value) or (isinstance(value, list) and not value):
        if col.required:
            raise ValueError("required")
        return col.default
    if col.kind == "list":
        return _as_list(col, value)
    if isinstance(value, (dict, list)):
        raise ValueError(f"expected a {col.kind}, got a JSON {type(value).__name__}")
    if col.kind == "number":
        return _as_number(col, value)
    if col.kind == "bool":
        return _as_bool(value)
    text = str(value).strip()
    if col.kind == "enum" and text not in col.choices:
        raise ValueError(f"{text!r} is not one of: {', '.join(col.choices)}")
    if col.kind == "date":
        return _as_date(text)
    if col.kind == "month":
        match = _MONTH.match(text)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(f"{text!r} is not a month (YYYY-MM)")
        return date(int(match.group(1)), int(match.group(2)), 1)
    if col.kind == "timestamp":
        return _as_timestamp(text)
    if col.kind == "iri" and not _SCHEME.match(text):
        raise ValueError(f"{text!r} is not an absolute IRI")
    return text


def _as_list(col: Column, value: Any) -> list[str]:
    parts = value if isinstance(value, list) else str(value).split("|")
    items = [str(p).strip() for p in parts if str(p).strip()]
    if col.choices:
        bad = [i for i in items if i not in col.choices]
        if bad:
            raise ValueError(f"{', '.join(map(repr, bad))} not in: {', '.join(col.choices)}")
    if not items and col.required:
        raise ValueError("required")
    return items


def _as_number(col: Column, value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    if col.integer and not number.is_integer():
        raise ValueError(f"{value!r} is not a whole number")
    if col.low is not None and number < col.low:
        raise ValueError(f"{value!r} is below the minimum {col.low:g}")
    if col.high is not None and number > col.high:
        raise ValueError(f"{value!r} is above the maximum {col.high:g}")
    return number


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{value!r} is not a boolean (true/false)")


def _as_date(text: str) -> date:
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date (YYYY-MM-DD)") from None


def _as_timestamp(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
