"""Alerts and digests in plain words: email text and HTML, and webhook payloads.

Every message names the department, the competency, what happened, why (the flag's own
``reason``) and a link to the dashboards. Webhook payloads come in three formats: ``generic``
(the events as JSON), ``slack`` (an incoming-webhook ``text`` message with mrkdwn links) and
``teams`` (a MessageCard with an "Open" button per event).
"""

from __future__ import annotations

from html import escape
from typing import Any

from statements.alerts.model import Event, OutboxItem

LABELS = {
    "flag_priority": "New PRIORITY flag",
    "flag_declining": "New DECLINING flag",
    "flag_low": "New LOW flag",
    "flag_escalated": "Flag escalated to PRIORITY",
    "update_behind": "Protocol update falling behind",
    "harm_high": "Harm above expected",
    "time_to_red": "Turning red soon",
    "certification_cliff": "Certification cliff",
    "step_failed": "Scheduled step failed",
    "step_overdue": "Scheduled step overdue",
}


def label(event: Event) -> str:
    """What happened, in a few words."""
    return LABELS.get(event.kind, event.kind)


def _where(event: Event) -> str:
    place = ", ".join(p for p in (event.site, event.service_line) if p)
    name = event.department_name or event.department_id or "(whole LRS)"
    return f"{name} ({place})" if place else name


def facts(event: Event) -> list[tuple[str, str]]:
    """The lines of one event: department, competency, month, reason, link (and retraining)."""
    rows = [("Department", _where(event))]
    if event.competency_id:
        rows.append(("Competency", event.competency_name or event.competency_id))
    rows += [("Month", event.month), ("Reason", event.reason), ("Link", event.link)]
    staff = event.evidence.get("retraining")
    if staff is not None:
        rows.append(("Retraining", retraining_line(staff)))
    return rows


def retraining_line(rows: list[dict[str, Any]]) -> str:
    """One line about an attached retraining list: how many, by reason, the first few."""
    if not rows:
        return "nobody needs retraining in this cell."
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["reason"]] = counts.get(r["reason"], 0) + 1
    by = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in sorted(counts.items()))
    first = "; ".join(
        f"{r['person_key']} ({r['reason']}, evidence {', '.join(r['evidence_ids'][:2]) or '-'})"
        for r in rows[:5]
    )
    more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
    return f"{len(rows)} staff ({by}): {first}{more} (full list attached)."


def subject(item: OutboxItem, events: list[Event]) -> str:
    """The email subject."""
    if item.kind == "digest":
        n = len(events)
        return f"[Readiness] Weekly digest: {n} change{'s' if n != 1 else ''}"
    ev = events[0]
    return f"[Readiness] {label(ev)}: {ev.title}"


def text_body(item: OutboxItem, events: list[Event]) -> str:
    """The plain-text email."""
    head = (
        "What changed in readiness this week, and why."
        if item.kind == "digest"
        else "Readiness needs a look here."
    )
    parts = [head, ""]
    for ev in events:
        parts.append(f"{label(ev)}: {ev.title}")
        parts += [f"  {k}: {v}" for k, v in facts(ev)]
        parts.append("")
    parts.append(f"(ref {item.id})")
    return "\n".join(parts) + "\n"


def html_body(item: OutboxItem, events: list[Event]) -> str:
    """The HTML email (inline styles only; mail clients drop style sheets)."""
    title = "Weekly readiness digest" if item.kind == "digest" else "Readiness alert"
    cards = []
    for ev in events:
        rows = "".join(
            f'<tr><th style="text-align:left;padding:2px 12px 2px 0;color:#555">{escape(k)}</th>'
            f"<td>{_cell(k, v)}</td></tr>"
            for k, v in facts(ev)
        )
        colour = "#b42318" if ev.severity == "high" else "#b54708"
        cards.append(
            f'<div style="border-left:4px solid {colour};padding:8px 12px;margin:12px 0">'
            f'<h2 style="font-size:16px;margin:0 0 6px">'
            f"{escape(label(ev))}: {escape(ev.title)}</h2>"
            f"<table>{rows}</table></div>"
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>"
        '<body style="font-family:system-ui,sans-serif;max-width:720px;'
        'margin:16px auto;color:#111">'
        f'<h1 style="font-size:20px">{escape(title)}</h1>'
        f"<p>{len(events)} change{'s' if len(events) != 1 else ''} worth a look.</p>"
        f'{"".join(cards)}<p style="color:#777;font-size:12px">ref {escape(item.id)}</p>'
        "</body></html>"
    )


def _cell(key: str, value: str) -> str:
    if key == "Link":
        return f'<a href="{escape(value, quote=True)}">Open in the dashboards</a>'
    return escape(value)


def event_json(event: Event) -> dict[str, Any]:
    """One event as the generic webhook shows it."""
    return {**event.__dict__, "label": label(event)}


def webhook_payload(fmt: str, item: OutboxItem, events: list[Event]) -> dict[str, Any]:
    """The JSON body of a webhook delivery in ``fmt`` (generic, slack, teams)."""
    if fmt == "slack":
        lines = [f"*{subject(item, events)}*"]
        lines += [f"• <{ev.link}|{ev.title}> — {label(ev)}: {ev.reason}" for ev in events]
        return {"text": "\n".join(lines)}
    if fmt == "teams":
        return {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": subject(item, events),
            "title": subject(item, events),
            "sections": [
                {
                    "activityTitle": f"{label(ev)}: {ev.title}",
                    "facts": [{"name": k, "value": v} for k, v in facts(ev) if k != "Link"],
                }
                for ev in events
            ],
            "potentialAction": [
                {
                    "@type": "OpenUri",
                    "name": f"Open {ev.title}"[:60],
                    "targets": [{"os": "default", "uri": ev.link}],
                }
                for ev in events[:4]
            ],
        }
    return {"id": item.id, "type": item.kind, "events": [event_json(ev) for ev in events]}
