"""Page builders for the expiry cliff / clearance and the protocol-change burn-down."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboards import figures
from dashboards.access import Viewer
from dashboards.data import Reader
from dashboards.filters import Filters
from dashboards.page import Page, Panel
from dashboards.queries import expiry as q_expiry
from dashboards.tables import cell, from_frame


def expiry_page(r: Reader, f: Filters, task_id: str, viewer: Viewer) -> Page:
    """Upcoming expiries by week and department; who is cleared for a regulated task."""
    snap, cliff = q_expiry.expiry_cliff(r, f)
    panels = [
        Panel(
            "expiry",
            "Expiry cliff",
            figures.expiry_cliff(cliff),
            from_frame(
                f"Expiring credentials per week after {snap}",
                cliff,
                [("week", "Week starting"), ("department", "Department"), ("expiring", "Expiring")],
            ),
        )
    ]
    page = Page(
        "Expiry cliff and clearance", intro=f"Compliance snapshot of {snap}.", panels=panels
    )
    if not r.has("regulated_tasks", "cleared"):
        page.warnings.append("Clearance has not been computed yet (no regulated tasks).")
        return page
    cl = q_expiry.clearance(r, f, task_id, with_rows=viewer.can_clearance)
    names = dict(zip(cl.tasks["task_id"].to_list(), cl.tasks["name"].to_list(), strict=True))
    page.extra.update(
        tasks=names,
        task_id=cl.task_id,
        clearance_snapshot=cl.snapshot,
        keep=[("task_id", cl.task_id)],
    )
    title = f"{names.get(cl.task_id, cl.task_id)}: cleared on {cell(cl.snapshot)}"
    page.panels.append(
        Panel(
            "clearance",
            "Clearance",
            None,
            from_frame(
                title,
                cl.summary.with_columns(share=pl.col("cleared") / pl.col("staff"))
                if cl.summary.height
                else cl.summary,
                [
                    ("department", "Department"),
                    ("share", "Cleared %", "pct"),
                    ("cleared", "Cleared"),
                    ("staff", "Staff"),
                ],
                note="Clearance uses compliance only (never readiness). Lowest share first.",
            ),
        )
    )
    if cl.rows is not None:
        page.panels.append(
            Panel(
                "cleared-staff",
                "Cleared staff",
                None,
                from_frame(
                    f"{title} — staff-level view, audited",
                    cl.rows,
                    [
                        ("person", "Person"),
                        ("department", "Department"),
                        ("role", "Role"),
                        ("cleared", "Cleared"),
                        ("evidence_statement_ids", "Evidence statement ids"),
                    ],
                ),
            )
        )
        page.audit = {"page": "clearance", "task_id": cl.task_id, "as_of": cell(cl.snapshot)}
    return page


def burn_status(last: pl.DataFrame, snap: dt.date | None, due: dt.date | None) -> str:
    """The headline of one change: "9% of 40 required staff retrained; due in 20 days"."""
    required = int(last["required"].sum() or 0) if last.height else 0
    if not required:
        text = "no staff required to retrain"
    else:
        done = round(float((last["share"].fill_null(0) * last["required"]).sum()))
        text = f"{done / required:.0%} of {required} required staff retrained"
    if due is None or snap is None:
        return text + "; no retraining window set"
    days = (due - snap).days
    if days < 0:
        return text + f"; due {-days} day{'s' if days != -1 else ''} ago"
    return text + ("; due today" if days == 0 else f"; due in {days} day{'s' if days != 1 else ''}")


def protocols_page(r: Reader, f: Filters) -> Page:
    """Burn-down per protocol change: share retrained since the change against its due date."""
    snap, changes, curve = q_expiry.burn_down(r, f)
    page = Page(
        "Protocol-change burn-down",
        intro=(
            "A person counts as retrained from the date of their latest evidence after the change "
            f"(a lower bound). Snapshot {cell(snap)}."
        ),
    )
    if changes.is_empty():
        page.message = "No protocol change on or before the chosen date."
        return page
    for k, ch in enumerate(changes.iter_rows(named=True)):
        g = (
            curve.filter(
                (pl.col("competency_id") == ch["competency_id"])
                & (pl.col("change_date") == ch["change_date"])
            )
            if curve.height
            else curve
        )
        no_window = not ch.get("retrain_due_days")
        due = None if no_window else ch["due_date"]
        fig = figures.burn_down(g, ch["competency"], ch["change_date"], due)
        last = g.filter(pl.col("day") == pl.col("day").max()) if g.height else g
        page.panels.append(
            Panel(
                f"burn-{k}",
                f"{ch['competency']} — {burn_status(last, snap, due)}",
                fig,
                from_frame(
                    f"{ch['competency']} {ch.get('new_version') or ''}: "
                    f"changed {ch['change_date']}"
                    + ("" if no_window else f", due {ch['due_date']}"),
                    last.sort("share") if last.height else last,
                    [
                        ("department", "Department"),
                        ("share", "Retrained", "pct"),
                        ("required", "Required staff"),
                        ("day", "As of"),
                    ],
                ),
                note=(
                    "No retraining window was set for this change (retrain_due_days is empty or "
                    "0), so no department is counted late; set one in the protocol-changes "
                    "import."
                    if no_window
                    else f"Due {ch['due_date']}. Black: the hospital; coloured: the three "
                    "departments furthest behind; grey: every other department."
                ),
            )
        )
    return page
