"""Pulling State, Activity Profile and Agent Profile documents where the source lists them.

The document resources list ids only for a given owner, so the owners are taken from the
statements just pulled: each object Activity (its Activity Profiles), each identified actor
(its Agent Profiles) and each (Activity, actor, registration or none) of a statement (its
State). Every listed document is fetched and stored with its bytes and Content-Type.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lrs.interop.client import XapiClient
from lrs.interop.pull import PullError
from statements.documents import ACTIVITY_PROFILE, AGENT_PROFILE, STATE, DocumentScope, ifi_of
from statements.ifi import agent_key


@dataclass
class Owners:
    """Whose documents to look for."""

    activities: set[str] = field(default_factory=set)
    agents: dict[str, str] = field(default_factory=dict)  # agent key -> agent JSON (IFI only)
    states: set[tuple[str, str, str | None]] = field(default_factory=set)

    def add(self, body: dict[str, Any]) -> None:
        """Note the owners a statement names."""
        obj, actor = body.get("object"), body.get("actor")
        activity = None
        if isinstance(obj, dict) and obj.get("objectType", "Activity") == "Activity":
            activity = str(obj.get("id"))
            self.activities.add(activity)
        key = agent_key(actor) if isinstance(actor, dict) else None
        if key is None or not isinstance(actor, dict):
            return
        self.agents[key] = json.dumps(ifi_of(actor), separators=(",", ":"))
        if activity is not None:
            registration = (body.get("context") or {}).get("registration")
            self.states.add((activity, key, str(registration).lower() if registration else None))


def owners_since(store: Any, after_seq: int) -> Owners:
    """The owners named by every statement stored after ``after_seq``."""
    owners = Owners()
    for batch in store.iter_since(after_seq, 2000):
        for rec in batch:
            owners.add(rec.body)
    return owners


def _ids(client: XapiClient, resource: str, params: dict[str, str]) -> list[str]:
    reply = client.request("GET", client.url(resource, params))
    if reply.status in (404, 405, 501):
        return []  # the source has no such resource (Ralph, for one, keeps no documents)
    if reply.status != 200:
        raise PullError(f"{resource}: {reply.snippet()}")
    found = reply.json()
    return [str(i) for i in found] if isinstance(found, list) else []


def _documents(owners: Owners) -> Iterator[tuple[str, str, dict[str, str], DocumentScope]]:
    """(resource, id parameter, owner parameters, our scope) for every owner."""
    for activity in sorted(owners.activities):
        yield (
            "activities/profile",
            "profileId",
            {"activityId": activity},
            DocumentScope(ACTIVITY_PROFILE, activity_id=activity),
        )
    for key, agent in sorted(owners.agents.items()):
        yield (
            "agents/profile",
            "profileId",
            {"agent": agent},
            DocumentScope(AGENT_PROFILE, agent_key=key),
        )
    for activity, key, registration in sorted(owners.states, key=str):
        params = {"activityId": activity, "agent": owners.agents[key]}
        if registration:
            params["registration"] = registration
        yield (
            "activities/state",
            "stateId",
            params,
            DocumentScope(STATE, activity_id=activity, agent_key=key, registration=registration),
        )


def pull_documents(client: XapiClient, store: Any, owners: Owners, now_us: int) -> int:
    """Fetch and store every document the source lists for ``owners``; how many."""
    copied = 0
    for resource, id_param, params, scope in _documents(owners):
        for doc_id in _ids(client, resource, params):
            reply = client.request("GET", client.url(resource, {**params, id_param: doc_id}))
            if reply.status != 200:
                continue  # listed, then deleted before we got to it
            ctype = reply.content_type or "application/octet-stream"
            store.put_document(scope, doc_id, reply.body, ctype, now_us)
            copied += 1
    return copied
