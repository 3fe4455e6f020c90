"""Documents of the State, Activity Profile and Agent Profile resources (Communication 2.2-2.7).

Pure values and rules, no I/O:

* :class:`DocumentScope` — which resource and which Activity / Agent / registration a document
  belongs to; with a document id it addresses one document.
* :class:`Document` — the stored bytes, their ``Content-Type`` exactly as sent, the SHA-1 digest
  the ETag is made of (Communication 3.1: hex SHA-1 of the contents, lower case, quoted) and the
  ``updated`` time (epoch microseconds) behind ``since`` and ``Last-Modified``.
* :class:`Precondition` — If-Match / If-None-Match and the "PUT without either header" rules,
  checked by a store against the current document inside its write transaction.
* :func:`merge_json` — the POST merge (Communication 2.2): both documents must be JSON objects;
  top-level properties of the posted object replace those of the stored one.
* :func:`merge_activity` and :func:`person_from` — the canonical Activity kept from statements
  (Data 2.4.4.1) and the Person object of the Agents resource (Communication 2.4).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from statements import safejson
from statements.errors import BadRequest, Conflict, FieldError, PreconditionFailed

STATE = "state"
ACTIVITY_PROFILE = "activity_profile"
AGENT_PROFILE = "agent_profile"
KINDS = (STATE, ACTIVITY_PROFILE, AGENT_PROFILE)
JSON_TYPE = "application/json"
DEFAULT_TYPE = "application/octet-stream"
IFI_PROPERTIES = ("mbox", "mbox_sha1sum", "openid", "account")


@dataclass(frozen=True)
class DocumentScope:
    """The owner of a set of documents.

    State: ``activity_id`` + ``agent_key`` (+ ``registration``); Activity Profile:
    ``activity_id``; Agent Profile: ``agent_key``. ``agent_key`` is the canonical IFI string of
    :func:`statements.ifi.agent_key`; ``registration`` is a lower-case UUID. For one document a
    ``registration`` of None means "no registration"; for listing or deleting all State it
    means "any registration".
    """

    kind: str
    activity_id: str | None = None
    agent_key: str | None = None
    registration: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown document kind {self.kind!r}")
        needs_activity = self.kind in (STATE, ACTIVITY_PROFILE)
        needs_agent = self.kind in (STATE, AGENT_PROFILE)
        if needs_activity != (self.activity_id is not None):
            raise ValueError(
                f"{self.kind} documents {'need' if needs_activity else 'take no'} activity_id"
            )
        if needs_agent != (self.agent_key is not None):
            raise ValueError(
                f"{self.kind} documents {'need' if needs_agent else 'take no'} agent_key"
            )
        if self.registration is not None and self.kind != STATE:
            raise ValueError("only State documents have a registration")


def sha1_hex(content: bytes) -> str:
    """Lower-case hex SHA-1 of ``content`` (the ETag value, unquoted)."""
    return hashlib.sha1(content, usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class Document:
    """One stored document."""

    scope: DocumentScope
    document_id: str
    content: bytes
    content_type: str
    updated_us: int
    digest: str

    @classmethod
    def create(
        cls,
        scope: DocumentScope,
        document_id: str,
        content: bytes,
        content_type: str,
        updated_us: int,
    ) -> Document:
        """A document whose digest is computed from ``content``."""
        return cls(scope, document_id, content, content_type, updated_us, sha1_hex(content))

    @property
    def etag(self) -> str:
        """The ``ETag`` header value: the quoted digest."""
        return f'"{self.digest}"'

    @property
    def is_json(self) -> bool:
        """True when the stored Content-Type is ``application/json``."""
        return is_json_type(self.content_type)


@dataclass(frozen=True)
class DocumentIds:
    """The ids of a scope's documents and the newest ``updated`` among them (None if empty)."""

    ids: list[str]
    last_modified_us: int | None


@dataclass(frozen=True)
class Precondition:
    """What must hold of the current document before a write (Communication 3.1).

    ``if_match`` / ``if_none_match`` hold unquoted entity tags; ``"*"`` stands for any.
    ``conflict_if_exists``: a PUT without either header must not overwrite (409).
    ``reject_if_absent``: a PUT without either header is refused outright (400) when there is
    nothing to conflict with (Profile resources, whose clients MUST send one of the headers).
    """

    if_match: frozenset[str] | None = None
    if_none_match: frozenset[str] | None = None
    conflict_if_exists: bool = False
    reject_if_absent: bool = False

    def check(self, current: Document | None) -> None:
        """Raise ``PreconditionFailed``, ``Conflict`` or ``BadRequest`` unless a write may go on."""
        digest = current.digest if current is not None else None
        if self.if_match is not None and (
            digest is None or ("*" not in self.if_match and digest not in self.if_match)
        ):
            raise PreconditionFailed(
                "If-Match does not match the current document",
                [FieldError("If-Match", "precondition", f"current ETag: {_quoted(digest)}")],
            )
        if (
            self.if_none_match is not None
            and digest is not None
            and ("*" in self.if_none_match or digest in self.if_none_match)
        ):
            raise PreconditionFailed(
                "If-None-Match: the document exists",
                [FieldError("If-None-Match", "precondition", f"current ETag: {_quoted(digest)}")],
            )
        if self.conflict_if_exists and current is not None:
            raise Conflict(
                "the document exists: GET it, then PUT with If-Match set to its current ETag",
                [FieldError("If-Match", "required", f"current ETag: {current.etag}")],
            )
        if self.reject_if_absent and current is None:
            raise BadRequest(
                "PUT needs If-Match or If-None-Match (use If-None-Match: * to create)",
                [FieldError("If-None-Match", "required", "send If-Match or If-None-Match")],
            )


UNCONDITIONAL = Precondition()


def _quoted(digest: str | None) -> str:
    return f'"{digest}"' if digest is not None else "none (no document)"


def media_type(content_type: str) -> str:
    """The lower-case media type of a Content-Type value, without parameters."""
    return content_type.split(";", 1)[0].strip().lower()


def is_json_type(content_type: str) -> bool:
    """True for ``application/json`` (any parameters)."""
    return media_type(content_type) == JSON_TYPE


def check_body(
    content: bytes, content_type: str, max_depth: int = safejson.DEFAULT_MAX_DEPTH
) -> None:
    """Refuse a body declared ``application/json`` that is not JSON (Communication 3.2).

    Parsed by :func:`statements.safejson.loads`: too deep, lone surrogates, NaN, duplicate keys
    are 400s naming the path, so a stored JSON document always merges and reads back as sent.
    """
    if is_json_type(content_type):
        _parse(content, "$", "the document is not valid JSON", max_depth)


def _parse(
    content: bytes, path: str, message: str, max_depth: int = safejson.DEFAULT_MAX_DEPTH
) -> Any:
    try:
        return safejson.loads(content, max_depth, path)
    except BadRequest as exc:
        raise BadRequest(f"{message}: {exc.message}", exc.errors) from exc


def merge_json(existing: Document, content: bytes, content_type: str) -> bytes:
    """The stored JSON object with the posted object's top-level properties set over it.

    Raises ``BadRequest`` unless both documents are ``application/json`` JSON objects.
    """
    if not existing.is_json or not is_json_type(content_type):
        raise BadRequest(
            "POST merges only application/json documents",
            [FieldError("Content-Type", "json_merge", "both documents must be application/json")],
        )
    old = _parse(existing.content, "stored", "the stored document is not valid JSON", 10_000)
    new = _parse(content, "$", "the posted document is not valid JSON")
    if not isinstance(old, dict) or not isinstance(new, dict):
        where = "$" if isinstance(old, dict) else "stored"
        raise BadRequest(
            "POST merges only JSON objects",
            [FieldError(where, "json_merge", "both documents must be JSON objects")],
        )
    merged = {**old, **new}
    return json.dumps(merged, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# -- canonical Activities and Persons learned from statements ---------------------------------

_MAPS = ("name", "description", "extensions")


def merge_activity(
    canonical: Mapping[str, Any] | None, incoming: Mapping[str, Any], may_define: bool
) -> dict[str, Any] | None:
    """The new canonical Activity after seeing ``incoming``; None when nothing changes.

    The first definition seen becomes canonical. Later definitions change it only when the
    credential may ``define`` (Communication 4.2): language maps and extensions are merged key
    by key (so two statements describing one Activity in two languages yield both), other
    properties are replaced.
    """
    activity_id = str(incoming["id"])
    new_def = incoming.get("definition")
    if canonical is None:
        out: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
        if isinstance(new_def, Mapping):
            out["definition"] = dict(new_def)
        return out
    old_def = canonical.get("definition")
    if not isinstance(new_def, Mapping) or not new_def:
        return None
    if not isinstance(old_def, Mapping):
        return {**canonical, "definition": dict(new_def)}
    if not may_define:
        return None
    merged = dict(old_def)
    for key, value in new_def.items():
        old_value = merged.get(key)
        if key in _MAPS and isinstance(old_value, Mapping) and isinstance(value, Mapping):
            merged[key] = {**old_value, **value}
        else:
            merged[key] = value
    if merged == old_def:
        return None
    return {**canonical, "definition": merged}


def ifi_of(agent: Mapping[str, Any]) -> dict[str, Any]:
    """The identifying property of an Agent or Group, e.g. ``{"mbox": "mailto:a@b.org"}``."""
    for prop in IFI_PROPERTIES:
        if prop in agent:
            return {prop: agent[prop]}
    return {}


def person_from(ifis: Iterable[Mapping[str, Any]], names: Iterable[str]) -> dict[str, Any]:
    """A Person object (Communication 2.4): ``objectType`` and one array per known property."""
    person: dict[str, Any] = {"objectType": "Person"}
    name_list = list(dict.fromkeys(names))
    if name_list:
        person["name"] = name_list
    for ifi in ifis:
        for prop, value in ifi.items():
            values = person.setdefault(prop, [])
            if value not in values:
                values.append(value)
    return person
