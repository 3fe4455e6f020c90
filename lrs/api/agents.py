"""The Agents resource ``/xapi/agents?agent=`` (Communication 2.4).

Returns a Person object: ``objectType`` "Person" and arrays of the names and IFIs the LRS has
seen for the requested Agent in statements (see :mod:`lrs.learning`), or just the requested
Agent's own IFI and name when it has seen none. The LRS does not link different IFIs to one
person, so each Person carries one IFI. ``agent`` must be an Agent (not a Group) with one IFI.
Readable with the scopes of the Activities resource.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from lrs.api.activities import READ_SCOPES
from lrs.api.documents import agent_param, check_params
from lrs.auth import require
from lrs.conditional import stamp_body
from lrs.extensions import services
from lrs.headers import api_version
from statements.documents import ifi_of, person_from
from statements.ifi import agent_key

bp = Blueprint("agents", __name__)


@bp.get("/xapi/agents")
@require(*READ_SCOPES)
def get_person() -> Response:
    """The Person object for ``agent``."""
    check_params({"agent"})
    agent = agent_param(api_version(), allow_group=False)
    key = agent_key(agent)
    assert key is not None  # agent_param demands an IFI
    known: dict[str, Any] | None = services().store.get_agent_person(key)
    name = agent.get("name")
    names = [name] if isinstance(name, str) else []
    if known is None:
        person = person_from([ifi_of(agent)], names)
    else:
        person = person_from([], [*known.get("name", []), *names])
        person.update({k: v for k, v in known.items() if k not in ("objectType", "name")})
    return stamp_body(jsonify(person))
