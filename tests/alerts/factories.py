"""Events and subscriptions for the alerts tests."""

from __future__ import annotations

from typing import Any

from statements.alerts.model import Event, Subscription, event_id


def event(dept: str = "D03", comp: str = "sepsis", month: str = "2026-05", **kw: Any) -> Event:
    spec: dict[str, Any] = {
        "kind": "flag_priority",
        "severity": "high",
        "title": f"Ward {dept}: Sepsis recognition",
        "reason": f"PRIORITY in {dept} / {comp}: 3 more staff lapsed than the baseline predicts.",
        "link": f"http://lrs.test/dashboards/readiness?department={dept}",
        "department_name": f"Ward {dept}",
        "competency_name": "Sepsis recognition",
        "site": "North",
        "raised_us": 1_000_000,
        **kw,
    }
    return Event(
        id=event_id(spec["kind"], dept, comp, month),
        month=month,
        department_id=dept,
        competency_id=comp,
        **spec,
    )


def sub(
    sub_id: str, channel: str = "email", target: str = "lead@example.org", **kw: Any
) -> Subscription:
    return Subscription(id=sub_id, owner="lead", channel=channel, target=target, **kw)
