"""Page builders for overview, heatmap and drill-down: queries → figures → :class:`Page`."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import polars as pl

from dashboards import figures
from dashboards.access import Viewer
from dashboards.data import Reader
from dashboards.figures.trends import limit_column
from dashboards.filters import Filters
from dashboards.page import Item, Page, Panel, Tile
from dashboards.queries import changes as q_changes
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
            (f"{o.n_compliant:,} of {o.n_required:,} required · " if o.n_required else "")
            + f"target {target:.0%} · {o.month:%Y-%m}",
            alert=o.compliance is not None and o.compliance < target,
        ),
        Tile(
            "Readiness",
            cell(o.readiness, "pct"),
            f"lowest: {o.weakest or '—'} · staff-weighted, assessed competencies only",
        ),
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
            ("weakest", "Lowest-compliance competency"),
        ],
    )
    panel = Panel(
        "overview-compliance",
        "Compliance by department",
        figures.department_compliance(o.departments, target),
        table,
    )
    return Page(
        "Overview",
        tiles=tiles,
        panels=[*changes_panels(r, f, o.month), panel],
        warnings=o.warnings,
    )


def _link(c: q_changes.Change, query: str) -> str:
    href = f"department/{quote(c.department_id)}?competency={quote(c.competency_id)}"
    return href + (f"&{query}" if query else "")


def changes_panels(r: Reader, f: Filters, month: dt.date) -> list[Panel]:
    """ "What changed": new flags since last month, and the cells closest to red."""
    new = q_changes.new_flags(r, f, month)
    near = q_changes.closest_to_red(r, f, month)
    items = [
        Item(
            f"{c.department} · {c.competency}",
            c.reason,
            _link(c, f.query()),
            FLAG_MARKERS[c.flag][3].split(":")[0],
        )
        for c in new
    ]
    soon = [Item(f"{c.department} · {c.competency}", c.reason, _link(c, f.query())) for c in near]
    return [
        Panel(
            "changes",
            f"What changed in {month:%B %Y}",
            note="New = flagged this month and not the month before. Each line links to the "
            "department. Closest to red: cells not yet flagged whose six-month trend reaches "
            "their lower limit (the Low line) within a year.",
            items=items,
            items_title=f"New flags since last month ({len(items)})",
        ),
        Panel(
            "near-red",
            "Closest to red",
            items=soon,
            items_title="Time to red, soonest first",
            items_empty="No unflagged cell is on course to cross its Low line within a year.",
        ),
    ]


SIGNAL_ORDER = {"PRIORITY": 0, "DECLINING": 1, "LOW": 2, "UPDATE_IN_PROGRESS": 3}
HOW_FLAGS = (
    "How this is computed: compliance is shrunk towards the hospital rate for small teams; "
    "a cell is Low when its last six months sit below the 99.8 % funnel limit of its peers, "
    "Declining when more renewals due since a start month are still open than the competency's "
    "normal renewal pace predicts (an e-detector; new hires' first renewals excluded), "
    "Priority when both, or a decline on a critical competency."
)


def flagged_items(cells: pl.DataFrame, metric: str, query: str = "") -> list[Item]:
    """Flagged cells, most urgent first (Priority, Declining, Low, Update; then lowest value)."""
    if cells.is_empty():
        return []
    rows = [r for r in cells.iter_rows(named=True) if r["flag"] in SIGNAL_ORDER]
    rows.sort(key=lambda r: (SIGNAL_ORDER[r["flag"]], r.get(metric) or 0.0))
    out = []
    for r in rows:
        label = FLAG_MARKERS[r["flag"]][3].split(":")[0]
        value = with_interval(r.get(metric), r.get(f"{metric}_lo"), r.get(f"{metric}_hi"))
        if r.get("n_required") is not None:
            value = f"{value[:-1]}, n {r['n_required']})" if value.endswith(")") else value
        href = f"department/{quote(str(r['department_id']))}?competency=" + quote(
            str(r["competency_id"])
        )
        out.append(
            Item(
                f"{r['department']} · {r['competency']} — {value}",
                r.get("reason") or f"{label} (no reason recorded).",
                href + (f"&{query}" if query else ""),
                label,
            )
        )
    return out


def with_interval(value: float | None, lo: float | None, hi: float | None) -> str:
    """``78% (95% CI 60 to 90%)``, or the value alone when the interval is unknown."""
    if value is None:
        return cell(value)
    if lo is None or hi is None or lo != lo or hi != hi:
        return cell(value, "pct")
    return f"{value:.0%} (95% CI {lo * 100:.0f} to {hi:.0%})"


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
            ("reason", "Why"),
        ],
    )
    note = (
        "Cell values are in %. Colour is centred on the target (neutral = on target, orange = "
        "below, purple = above); grey = too few staff to judge (n shown)"
        + (
            "; grey “no test” = certificate only, no assessment evidence"
            if metric == "readiness"
            else ""
        )
        + ". Markers: "
        + "; ".join(f"{v[2]} {v[3]}" for v in FLAG_MARKERS.values())
        + ". Select a cell to open the department drill-down. "
        + HOW_FLAGS
    )
    if f.role_family:
        note += " The role-family filter does not apply to department aggregates and flags."
    items = flagged_items(cells, metric, f.query())
    panel = Panel(
        "heatmap",
        f"{metric.title()} heatmap",
        fig,
        table,
        note,
        click="drill",
        items=items,
        items_title=f"Flagged cells, most urgent first ({len(items)})",
        phone_list=True,
    )
    return Page(
        f"Readiness heatmap — {month:%Y-%m}",
        panels=[panel],
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
                    (limit_column(latest), "Lower limit", "pct"),
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
                    ("text", "Why"),
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
                        ("readiness_band", "Readiness 95% / state"),
                        ("expires_on", "Expires"),
                        ("first_attempt_mastery", "First-attempt mastery", "pct"),
                    ],
                ),
            )
        )
        audit = {"page": "department", "department_id": department_id}
    warnings = _thin_data(latest)
    intro = f"{dept['name']} · {dept.get('service_line') or '—'} · site {dept.get('site') or '—'}"
    if not viewer.can_staff:
        intro += " · staff-level rows need the analytics/staff scope."
    return Page(
        f"Department — {dept['name']}",
        intro=intro,
        panels=panels,
        audit=audit,
        warnings=warnings,
        extra={"department": dept},
    )


THIN = 6


def _thin_data(latest: pl.DataFrame) -> list[str]:
    """A plain warning when the unit is too small for its lines to be read as precise."""
    if latest.is_empty() or "n_required" not in latest.columns:
        return []
    n = latest["n_required"].max()
    if not isinstance(n, int | float) or n >= THIN:
        return []
    return [
        f"Thin data: at most {int(n)} staff are required per competency here. Each person moves "
        f"a rate by {1 / max(int(n), 1):.0%}, so the lines are estimates pulled towards the "
        "hospital rate (see the wide 95 % bands), and no decline is judged on so few staff."
    ]
