"""Page builders for overview, heatmap and drill-down: queries → figures → :class:`Page`."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboards import figures
from dashboards.access import Viewer
from dashboards.data import Reader
from dashboards.filters import Filters
from dashboards.page import Page, Panel, Tile
from dashboards.queries import overview as q_overview
from dashboards.queries import readiness as q_readiness
from dashboards.queries.common import month_of
from dashboards.tables import cell, from_frame
from dashboards.theme import FLAG_MARKERS


def overview_page(r: Reader, f: Filters, now: dt.datetime, target: float) -> Page:
    """Overview: compliance, readiness, flags, expiries, recent statements, data quality."""
    o = q_overview.overview(r, f, now)
    flags = o.flag_counts
    tiles = [
        Tile(
            "Compliance",
            cell(o.compliance, "pct"),
            f"target {target:.0%} · {o.month:%Y-%m}",
            alert=o.compliance is not None and o.compliance < target,
        ),
        Tile("Readiness", cell(o.readiness, "pct"), f"weakest: {o.weakest or '—'}"),
        Tile(
            "PRIORITY flags",
            str(flags.get("PRIORITY", 0)),
            "star marker on the heatmap",
            alert=flags.get("PRIORITY", 0) > 0,
        ),
        Tile("DECLINING flags", str(flags.get("DECLINING", 0)), "triangle marker"),
        Tile("Expiring in 30 days", cell(o.expiring_30), "credentials"),
        Tile("Statements, last 24 h", cell(o.statements_24h), "as loaded by the last refresh"),
        Tile("Last refresh", cell(o.last_refresh), ""),
    ]
    table = from_frame(
        "Compliance by department",
        o.departments,
        [
            ("name", "Department"),
            ("service_line", "Service line"),
            ("compliance", "Compliance", "pct"),
            ("lo", "95% low", "pct"),
            ("hi", "95% high", "pct"),
            ("n_compliant", "Compliant"),
            ("n_required", "Required"),
            ("readiness", "Readiness", "pct"),
            ("weakest", "Weakest competency"),
        ],
    )
    panel = Panel(
        "overview-compliance",
        "Compliance by department",
        figures.department_compliance(o.departments, target),
        table,
    )
    return Page("Overview", tiles=tiles, panels=[panel], warnings=o.warnings)


def heatmap_page(r: Reader, f: Filters, metric: str, target: float) -> Page:
    """The department x competency heatmap with its flags and a cell table."""
    month, cells = q_readiness.heatmap_cells(r, f)
    fig = figures.heatmap(cells, metric, target)
    table = from_frame(
        f"{metric.title()} by department and competency, {month:%Y-%m}",
        cells,
        [
            ("department", "Department"),
            ("service_line", "Service line"),
            ("competency", "Competency"),
            ("category", "Category"),
            (metric, metric.title(), "pct"),
            (f"{metric}_lo", "95% low", "pct"),
            (f"{metric}_hi", "95% high", "pct"),
            ("n_required", "n"),
            ("flag", "Flag"),
            ("slope", "Slope/month", "pp"),
            ("method", "Method"),
        ],
    )
    note = (
        "Colour is centred on the target (neutral = on target, orange = below, purple = "
        "above); grey = insufficient data. Markers: "
        + "; ".join(f"{v[2]} {v[3]}" for v in FLAG_MARKERS.values())
        + ". Select a cell to open "
        "the department drill-down."
    )
    if f.role_family:
        note += " The role-family filter does not apply to department aggregates and flags."
    return Page(
        f"Readiness heatmap — {month:%Y-%m}",
        panels=[Panel("heatmap", f"{metric.title()} heatmap", fig, table, note, click="drill")],
        extra={"metric": metric, "keep": [("metric", metric)]},
    )


def department_page(r: Reader, f: Filters, department_id: str, viewer: Viewer) -> Page:
    """Drill-down: trends with EWMA limits, drop decomposition, staff status."""
    dept = q_readiness.department(r, department_id)
    month = month_of(r, f)
    series = q_readiness.trends(r, department_id, month)
    drops = q_readiness.drops(r, department_id, month)
    latest = series.filter(pl.col("month") == pl.col("month").max())
    panels = [
        Panel(
            "trends",
            "Trends",
            figures.trends(series),
            from_frame(
                f"Latest month ({month:%Y-%m})",
                latest,
                [
                    ("competency", "Competency"),
                    ("compliance_shrunk", "Compliance (shrunken)", "pct"),
                    ("compliance_lo", "95% low", "pct"),
                    ("compliance_hi", "95% high", "pct"),
                    ("ewma", "EWMA", "pct"),
                    ("ewma_lcl", "EWMA limit", "pct"),
                    ("readiness", "Readiness", "pct"),
                    ("n_required", "n"),
                    ("flag", "Flag"),
                ],
            ),
        ),
        Panel(
            "drops",
            "What the drops are made of",
            figures.decomposition(drops),
            from_frame(
                "Flagged cells this month",
                drops,
                [
                    ("competency", "Competency"),
                    ("flag", "Flag"),
                    ("baseline", "Baseline", "pct"),
                    ("current", "Current", "pct"),
                    ("slope", "Slope/month", "pp"),
                    ("n", "n"),
                    ("method", "Method"),
                    ("text", "Explanation"),
                ],
            ),
        ),
    ]
    staff = q_readiness.staff_status(r, f, department_id, with_rows=viewer.can_staff)
    panels.append(
        Panel(
            "status",
            "Staff status counts",
            None,
            from_frame(
                f"Status counts, snapshot {cell(staff.snapshot)}",
                staff.counts,
                [("competency", "Competency"), ("status", "Status"), ("staff", "Staff")],
            ),
        )
    )
    audit = None
    if staff.rows is not None:
        panels.append(
            Panel(
                "staff",
                "Staff",
                None,
                from_frame(
                    "Staff (staff-level view, audited)",
                    staff.rows,
                    [
                        ("person", "Person"),
                        ("mbox", "Mailbox"),
                        ("role", "Role"),
                        ("competency", "Competency"),
                        ("status", "Status"),
                        ("readiness", "Readiness", "pct"),
                        ("expires_on", "Expires"),
                        ("first_attempt_mastery", "First-attempt mastery", "pct"),
                    ],
                ),
            )
        )
        audit = {"page": "department", "department_id": department_id}
    intro = f"{dept['name']} · {dept.get('service_line') or '—'} · site {dept.get('site') or '—'}"
    if not viewer.can_staff:
        intro += " · staff-level rows need the analytics/staff scope."
    return Page(
        f"Department — {dept['name']}",
        intro=intro,
        panels=panels,
        audit=audit,
        extra={"department": dept},
    )
