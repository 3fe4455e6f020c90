"""Harbor's xAPI statements: item ``answered`` statements and a verdict per attempt.

Items live under the assessment id (``…/assessment/item-2``) and name the assessment in
``contextActivities.parent``; the module is the ``grouping``. Half the attempts of an
item-level competency report their items (the others only the verdict). Actors: staff with an
SSO account appear under it or under their mbox, attempt by attempt; agency staff only under
the agency portal account. A few failed attempts get an erroneous ``passed`` that is then
voided. Each statement's arrival time (the LRS ``stored``) is returned beside it: minutes after
the attempt, or for late arrivals 20-120 days later (never after the window's last second).
"""

from __future__ import annotations

import random
import uuid
from datetime import date
from typing import Any

import numpy as np

from analytics.simulate.harbor.catalogue import MAIL_DOMAIN, SKILLS, assessment_iri, module_iri
from analytics.simulate.harbor.staff import Member
from analytics.simulate.harbor.training import EPOCH, Attempt

ADL = "http://adlnet.gov/expapi/verbs/"
LATE_SHARE = 0.03
ITEM_SHARE = 0.5
WRONG_PASS_SHARE = 0.06
ADMIN = {"objectType": "Agent", "mbox": f"mailto:lms-admin@{MAIL_DOMAIN}"}
Timed = tuple[int, dict[str, Any]]


def iso(second: int) -> str:
    """Epoch seconds as ISO 8601 UTC."""
    days, rest = divmod(second, 86400)
    day = date.fromordinal(days + EPOCH).isoformat()
    return f"{day}T{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}Z"


def _verb(name: str) -> dict[str, Any]:
    return {"id": f"{ADL}{name}", "display": {"en-GB": name}}


def actor_of(member: Member, use_account: bool) -> dict[str, Any]:
    """The xAPI agent a statement about ``member`` carries."""
    if member.account is not None and (use_account or member.mbox is None):
        home, name = member.account
        return {"objectType": "Agent", "account": {"homePage": home, "name": name}}
    return {"objectType": "Agent", "mbox": member.mbox}


class Emitter:
    """Turns attempts into (arrival second, statement) pairs; draws from its own RNG."""

    def __init__(self, rng: np.random.Generator, last_second: int) -> None:
        self.rng = random.Random(int(rng.integers(2**63)))
        self.last_second = last_second
        self.late = 0
        self.voided: list[str] = []

    def _ids(self, n: int) -> list[str]:
        bits = self.rng.getrandbits
        return [str(uuid.UUID(int=bits(128), version=4)) for _ in range(n)]

    def attempt(self, attempt: Attempt, member: Member) -> list[Timed]:
        """The statements of one attempt with their arrival seconds."""
        skill = SKILLS[attempt.skill]
        actor = actor_of(member, self.rng.random() < 0.5)
        items = skill.items if self.rng.random() < ITEM_SHARE else 0
        wrong = (not attempt.passed) and self.rng.random() < WRONG_PASS_SHARE
        wrong = wrong and attempt.second + 3 * 86400 < self.last_second
        ids = self._ids(items + 2 + 2 * wrong)
        assessment = {
            "objectType": "Activity",
            "id": assessment_iri(skill),
            "definition": {
                "name": {"en-GB": f"{skill.name} assessment"},
                "type": "http://adlnet.gov/expapi/activities/assessment",
            },
        }
        grouping = [{"objectType": "Activity", "id": module_iri(skill)}]
        registration = ids[-1]
        out = []
        for k in range(items):
            ok = attempt.correct[k]
            item = {
                "objectType": "Activity",
                "id": f"{assessment_iri(skill)}/item-{k + 1}",
                "definition": {
                    "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                    "interactionType": "true-false",
                },
            }
            ctx = {
                "registration": registration,
                "contextActivities": {
                    "parent": [{"objectType": "Activity", "id": assessment["id"]}],
                    "grouping": grouping,
                },
            }
            out.append(
                self._s(
                    ids[k],
                    actor,
                    "answered",
                    item,
                    attempt.second + 40 * (k + 1),
                    ctx,
                    {"success": ok, "response": "true" if ok else "false"},
                )
            )
        score = sum(attempt.correct)
        n = len(attempt.correct)
        verdict_ctx = {"registration": registration, "contextActivities": {"grouping": grouping}}
        result = {
            "score": {"scaled": round(score / n, 4), "raw": score, "min": 0, "max": n},
            "success": attempt.passed,
            "completion": True,
        }
        end = attempt.second + 40 * (items + 1) + 30
        out.append(
            self._s(
                ids[items],
                actor,
                "passed" if attempt.passed else "failed",
                assessment,
                end,
                ctx=verdict_ctx,
                result=result,
            )
        )
        arrival = self._arrival(end)
        timed = [(arrival, s) for s in out]
        if wrong:
            timed.extend(
                self._wrong_pass(
                    ids[items + 1], ids[items + 2], actor, assessment, end + 3600, verdict_ctx, n
                )
            )
        return timed

    def _wrong_pass(
        self,
        sid: str,
        void_id: str,
        actor: dict[str, Any],
        obj: dict[str, Any],
        second: int,
        ctx: dict[str, Any],
        n: int,
    ) -> list[Timed]:
        """A pass recorded by mistake, voided by the LMS administrator a day later."""
        result = {
            "score": {"scaled": 1.0, "raw": n, "min": 0, "max": n},
            "success": True,
            "completion": True,
        }
        bad = self._s(sid, actor, "passed", obj, second, ctx, result)
        void = {
            "id": void_id,
            "actor": ADMIN,
            "verb": _verb("voided"),
            "object": {"objectType": "StatementRef", "id": sid},
            "timestamp": iso(second + 86400),
        }
        self.voided.append(sid)
        first = min(second + 60, self.last_second)
        return [(first, bad), (max(first, min(second + 86400 + 60, self.last_second)), void)]

    def _arrival(self, end: int) -> int:
        if self.rng.random() < LATE_SHARE:
            self.late += 1
            return max(end, min(end + self.rng.randint(20, 120) * 86400, self.last_second))
        return max(end, min(end + self.rng.randint(5, 599), self.last_second))

    @staticmethod
    def _s(
        sid: str,
        actor: dict[str, Any],
        verb: str,
        obj: dict[str, Any],
        second: int,
        ctx: dict[str, Any],
        result: dict[str, Any],
    ) -> dict[str, Any]:
        return {
            "id": sid,
            "actor": actor,
            "verb": _verb(verb),
            "object": obj,
            "context": ctx,
            "result": result,
            "timestamp": iso(second),
        }
