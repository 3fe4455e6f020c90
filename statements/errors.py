"""Domain errors raised by the xAPI core and the stores.

Every error the HTTP edge turns into a response lives here, so that `lrs/errors.py`
maps exception types to status codes in one place and no store leaks a driver error.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    """One broken rule: where (a JSON path such as ``$[0].actor.mbox``), which rule, and why."""

    path: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """Render as the JSON error item ``{"path", "rule", "message"}``."""
        return {"path": self.path, "rule": self.rule, "message": self.message}


class LRSError(Exception):
    """Base of every domain error; ``status`` is the HTTP status the edge answers with."""

    status = 500

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors: list[FieldError] = list(errors or [])


class BadRequest(LRSError):
    """The request is malformed (400)."""

    status = 400


class StatementValidationError(BadRequest):
    """One or more statements break a rule of the xAPI Data section (400)."""


class Unauthorized(LRSError):
    """No or wrong credentials (401)."""

    status = 401


class Forbidden(LRSError):
    """The credential's scopes do not allow this request (403)."""

    status = 403


class NotFound(LRSError):
    """The addressed resource does not exist (404)."""

    status = 404


class Conflict(LRSError):
    """The request conflicts with stored state, e.g. a reused statement id (409)."""

    status = 409


class IdConflict(Conflict):
    """A store refused a batch because some of its statement ids are already stored (409).

    ``ids`` names them, so that a caller compares only those with what is stored.
    """

    def __init__(self, message: str, ids: list[str]) -> None:
        super().__init__(message)
        self.ids = list(ids)


class PreconditionFailed(LRSError):
    """An If-Match / If-None-Match precondition does not hold (412)."""

    status = 412


class PayloadTooLarge(LRSError):
    """The request body is over the configured limit (413)."""

    status = 413


class StoreUnavailable(LRSError):
    """The store cannot be reached or cannot write right now (503)."""

    status = 503


@dataclass
class ErrorCollector:
    """Accumulates :class:`FieldError` items while walking a document."""

    errors: list[FieldError] = field(default_factory=list)

    def add(self, path: str, rule: str, message: str) -> None:
        """Record one broken rule."""
        self.errors.append(FieldError(path, rule, message))
