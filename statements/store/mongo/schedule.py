"""Scheduled-run records and leases on MongoDB (see :mod:`statements.store.schedule`).

A lease is a document ``{_id: name, owner, expires_us}``: inserting it takes a free lease (the
unique ``_id`` stops a second taker); an update filtered on "ours or expired" takes over or
renews it. Each is a single-document atomic write, so no transaction is needed.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from statements.store.mongo.conn import MongoConnection
from statements.store.schedule import ScheduledRun

SCHEDULE_INDEXES: dict[str, list[IndexModel]] = {
    "scheduled_runs": [
        IndexModel([("step", ASCENDING), ("started_us", DESCENDING)], name="step_started"),
        IndexModel([("started_us", DESCENDING)], name="started"),
    ],
}


def _run(raw: dict[str, Any]) -> ScheduledRun:
    return ScheduledRun(
        raw["_id"],
        raw["step"],
        int(raw["started_us"]),
        raw["worker"],
        raw["outcome"],
        raw.get("ended_us"),
        dict(raw.get("counts") or {}),
        raw.get("error"),
    )


class MongoSchedule(MongoConnection):
    """Runs in ``scheduled_runs`` and leases in ``scheduler_leases``."""

    def start_run(self, run_id: str, step: str, started_us: int, worker: str) -> None:
        """Record a run as ``running``."""
        doc = {"_id": run_id, "step": step, "started_us": started_us, "worker": worker}
        doc["order"] = ObjectId()  # insertion order among runs started in the same microsecond
        with self.guard():
            self.db.scheduled_runs.insert_one(
                {**doc, "ended_us": None, "outcome": "running", "counts": {}, "error": None}
            )

    def finish_run(
        self, run_id: str, ended_us: int, outcome: str, counts: dict[str, Any], error: str | None
    ) -> None:
        """Close a run with its outcome, counts and error."""
        change = {"ended_us": ended_us, "outcome": outcome, "counts": counts, "error": error}
        with self.guard():
            self.db.scheduled_runs.update_one({"_id": run_id}, {"$set": change})

    def list_runs(self, step: str | None = None, limit: int = 50) -> list[ScheduledRun]:
        """Runs, newest first (optionally of one step)."""
        query = {} if step is None else {"step": step}
        with self.guard():
            found = self.db.scheduled_runs.find(query).sort(
                [("started_us", DESCENDING), ("order", DESCENDING)]
            )
            return [_run(d) for d in found.limit(limit)]

    def count_runs(self) -> dict[tuple[str, str], int]:
        """Number of runs per (step, outcome), over the whole history."""
        group = {"_id": {"step": "$step", "outcome": "$outcome"}, "n": {"$sum": 1}}
        with self.guard():
            found = list(self.db.scheduled_runs.aggregate([{"$group": group}]))
        return {(d["_id"]["step"], d["_id"]["outcome"]): int(d["n"]) for d in found}

    def acquire_lease(self, name: str, owner: str, now_us: int, ttl_us: int) -> bool:
        """Take or renew lease ``name``; False when another owner holds it unexpired."""
        leases = self.db.scheduler_leases
        expires = now_us + ttl_us
        with self.guard():
            try:
                leases.insert_one({"_id": name, "owner": owner, "expires_us": expires})
                return True
            except DuplicateKeyError:
                pass
            taken = leases.update_one(
                {"_id": name, "$or": [{"owner": owner}, {"expires_us": {"$lte": now_us}}]},
                {"$set": {"owner": owner, "expires_us": expires}},
            )
            return bool(taken.matched_count == 1)

    def release_lease(self, name: str, owner: str) -> None:
        """Give the lease up (only when ``owner`` holds it)."""
        with self.guard():
            self.db.scheduler_leases.delete_one({"_id": name, "owner": owner})
