"""Page builders for comprehension/content quality and the safety linkage."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl

from analytics.suppression import suppress
from dashboards import figures
from dashboards.data import Reader
from dashboards.figures.safety import funnel_status
from dashboards.filters import Filters
from dashboards.page import Item, Page, Panel, Tile
from dashboards.queries import safety as q_safety
from dashboards.queries.linkage import irr_text
from dashboards.tables import from_frame

NOTE = "Association, not causation."


def content_page(r: Reader, names: Callable[[Sequence[str]], dict[str, str]]) -> Page:
    """First-attempt pass rate, attempts to pass, click-through; item difficulty/discrimination."""
    activities, items = q_safety.content(r, names)
    panels = [
        Panel(
            "activities",
            "Activities",
            figures.activity_quality(activities),
            from_frame(
                "Per activity",
                activities,
                [
                    ("name", "Course"),
                    ("first_attempt_pass_rate", "First-attempt pass", "pct"),
                    ("pass_lo", "95% low", "pct"),
                    ("pass_hi", "95% high", "pct"),
                    ("attempts_to_pass", "Attempts to pass", "f2"),
                    ("click_through_rate", "Click-through", "pct"),
                    ("n_learners", "Learners"),
                    ("activity_id", "Activity id"),
                ],
            ),
            note="First-attempt pass rate with its 95% interval (Wilson, one first attempt per "
            "learner). Click-through: a pass without answered items, or under a quarter of the "
            "median duration.",
        )
    ]
    if items.height:
        panels.append(
            Panel(
                "items",
                "Items",
                figures.item_quality(items),
                from_frame(
                    "Per item",
                    items,
                    [
                        ("activity", "Course"),
                        ("item_id", "Item"),
                        ("difficulty", "Difficulty", "f2"),
                        ("discrimination", "Discrimination", "f2"),
                        ("n", "n"),
                    ],
                ),
            )
        )
    return Page("Comprehension and content quality", panels=panels)


def safety_page(r: Reader, f: Filters) -> Page:
    """Funnel plot, harm rate vs readiness gap, near-miss ratio, linkage estimates."""
    s = q_safety.safety(r, f)
    s.funnel = suppress(s.funnel, ["harm_events"])  # counts 1-10 never shown (small cells)
    s.ratio = suppress(s.ratio, ["near_misses", "harm_events"], ["ratio"])
    page = Page(
        "Safety linkage",
        intro=f"{NOTE} Incidents are joined to departments and roles, never to named staff.",
        warnings=q_safety.model_warnings(r),
    )
    if s.disabled:
        page.message = s.disabled
        return page
    if s.missing_census:
        page.warnings.append(
            "No census for: "
            + ", ".join(s.missing_census)
            + " — these departments are left out of every rate."
        )
    hidden = s.funnel.filter(pl.col("harm_events").is_null()) if s.funnel.height else s.funnel
    left_out = [*s.left_out, *(f"{d}: harm count under 11, hidden" for d in hidden["department"])]
    lag = _lag(s.linkage)
    method = (
        "negative binomial regression with department and month effects and a patient-day offset"
    )
    page.panels = [
        Panel(
            "funnel",
            "Funnel plot",
            figures.funnel(s.funnel),
            from_frame(
                "Harm ≥ moderate, last 12 months",
                s.funnel.with_columns(status=pl.Series(_status(s.funnel), dtype=pl.Utf8))
                if s.funnel.height
                else s.funnel,
                [
                    ("department", "Department"),
                    ("harm_events", "Harm events"),
                    ("patient_days", "Patient-days"),
                    ("status", "Against the limits"),
                ],
            ),
            note=f"{NOTE} Departments at or above an upper limit are named and coloured. "
            + (f"Not in the plot: {'; '.join(left_out)}." if left_out else ""),
        ),
        Panel(
            "rate-gap",
            "Harm rate and readiness gap",
            figures.rate_and_gap(s.series, lag, method),
            from_frame(
                "Monthly series",
                s.series,
                [
                    ("month", "Month"),
                    ("harm_rate", "Harm per 1,000", "f2"),
                    ("near_miss_rate", "Near misses per 1,000", "f2"),
                    ("readiness_gap", "Readiness gap", "pct"),
                ],
            ),
            note=f"{NOTE} How this is computed: {method}"
            + (f"; lag {lag} months." if lag else "."),
        ),
        Panel(
            "near-miss",
            "Near-miss : harm",
            figures.near_miss_ratio(s.ratio),
            from_frame(
                "Near misses per harm event, last 12 months",
                s.ratio,
                [
                    ("department", "Department"),
                    ("near_misses", "Near misses"),
                    ("harm_events", "Harm events"),
                    ("ratio", "Ratio", "f2"),
                ],
            ),
            note=f"{NOTE} A culture indicator: more near-miss reports never mark a department "
            "as less safe. Counts from 1 to 10 are hidden to protect the people involved.",
        ),
    ]
    page.panels.extend(_linkage_panels(s.linkage))
    page.tiles = primary_tiles(s.linkage)
    return page


def primary_tiles(linkage: pl.DataFrame, most: int = 4) -> list[Tile]:
    """The pre-specified primary estimates first on the page: IRR with its interval and q."""
    if not linkage.height or "is_primary" not in linkage.columns:
        return []
    rows = [
        r
        for r in linkage.filter(pl.col("estimable")).iter_rows(named=True)
        if r.get("is_primary") and not r.get("negative_control") and r.get("irr") is not None
    ][:most]
    return [
        Tile(
            f"{r['category']} · {r.get('competency') or r.get('competency_id')}",
            f"IRR {r['irr']:.2f}",
            f"95% CI {r['irr_lo']:.2f} to {r['irr_hi']:.2f} per 10 pp "
            f"{r.get('gap_kind') or 'readiness'} gap"
            + (f"; q {r['q_value']:.2f}" if r.get("q_value") is not None else "")
            + "; primary. Association, not causation.",
        )
        for r in rows
    ]


def _status(funnel: pl.DataFrame) -> list[str]:
    shown = funnel.filter(pl.col("harm_events").is_not_null())
    total = float(shown["patient_days"].sum() or 0)
    pooled = float(shown["harm_events"].sum()) * 1000 / total if total else 0.0
    status = dict(zip(shown["department"].to_list(), funnel_status(shown, pooled), strict=True))
    return [status.get(d, "hidden (count under 11)") for d in funnel["department"].to_list()]


def _lag(linkage: pl.DataFrame) -> int:
    if "lag_months" not in linkage.columns or not linkage.height:
        return 0
    lags = linkage.filter(pl.col("estimable"))["lag_months"].drop_nulls()
    return int(lags[0]) if lags.len() else 0


def _linkage_panels(linkage: pl.DataFrame) -> list[Panel]:
    if not linkage.height:
        return []
    est = linkage.filter(pl.col("estimable"))
    est = est.with_columns(
        irr_text=pl.Series([irr_text(r) for r in est.iter_rows(named=True)], dtype=pl.Utf8),
        role=pl.Series(
            [
                "negative control"
                if r.get("negative_control")
                else ("primary" if r.get("is_primary") else "secondary")
                for r in est.iter_rows(named=True)
            ],
            dtype=pl.Utf8,
        ),
    )
    cols: list[tuple[str, str] | tuple[str, str, str]] = [
        ("category", "Incident category"),
        ("competency", "Competency"),
        ("gap_kind", "Gap"),
        ("irr_text", "IRR per 10 pp gap (95% CI)"),
        ("q_value", "q (BH)", "f2"),
        ("e_value", "E-value", "f2"),
        ("n_events", "Events"),
        ("n_dept_months", "Dept-months"),
        ("role", "Role"),
    ]
    panels = [
        Panel(
            "linkage",
            "Linkage estimates",
            None,
            from_frame(
                f"Incidence-rate ratio per 10 pp readiness gap ({est.height} estimable)",
                est,
                [c for c in cols if c[0] in est.columns],
            ),
            note=f"{NOTE} An IRR above 1 means more incidents where the gap is larger. The "
            "negative-control rows should show no association; if they do, suspect confounding.",
        )
    ]
    not_est = linkage.filter(~pl.col("estimable"))
    if not_est.height:
        reasons = (
            not_est.group_by("reason")
            .agg(n=pl.len(), cats=pl.col("category").unique().sort())
            .sort("n", descending=True)
        )
        panels.append(
            Panel(
                "not-estimable",
                f"Not estimable ({not_est.height} pair{'s' if not_est.height != 1 else ''})",
                items=[
                    Item(
                        f"{n} pair{'s' if n != 1 else ''} ({', '.join(map(str, cats[:6]))}"
                        f"{', …' if len(cats) > 6 else ''})",
                        str(reason),
                    )
                    for reason, n, cats in reasons.iter_rows()
                ],
                items_title="Why no estimate is shown",
            )
        )
    return panels
