"""Page builders for comprehension/content quality and the safety linkage."""

from __future__ import annotations

from analytics.suppression import suppress
from dashboards import figures
from dashboards.data import Reader
from dashboards.filters import Filters
from dashboards.page import Page, Panel
from dashboards.queries import safety as q_safety
from dashboards.tables import from_frame

NOTE = "Association, not causation."


def content_page(r: Reader) -> Page:
    """First-attempt pass rate, attempts to pass, click-through; item difficulty/discrimination."""
    activities, items = q_safety.content(r)
    panels = [
        Panel(
            "activities",
            "Activities",
            figures.activity_quality(activities),
            from_frame(
                "Per activity",
                activities,
                [
                    ("activity_id", "Activity"),
                    ("first_attempt_pass_rate", "First-attempt pass", "pct"),
                    ("attempts_to_pass", "Attempts to pass", "f2"),
                    ("click_through_rate", "Click-through", "pct"),
                    ("n_learners", "Learners"),
                ],
            ),
            note="Click-through: a pass without answered items, or under a quarter of the median "
            "duration.",
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
                        ("activity_id", "Activity"),
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
    """Funnel plot, harm rate vs readiness gap with the lag, near-miss ratio, linkage table."""
    s = q_safety.safety(r, f)
    s.funnel = suppress(s.funnel, ["harm_events"])  # counts 1-10 never shown (small cells)
    s.ratio = suppress(s.ratio, ["near_misses", "harm_events"], ["ratio"])
    page = Page(
        "Safety linkage",
        intro=f"{NOTE} Incidents are joined to departments and roles, never to named staff.",
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
    est = s.linkage.filter(s.linkage["estimable"]) if s.linkage.height else s.linkage
    lag = int(est["lag_months"][0]) if est.height else 0
    method = str(est["method"][0]) if est.height else "no linkage model estimated yet"
    page.panels = [
        Panel(
            "funnel",
            "Funnel plot",
            figures.funnel(s.funnel),
            from_frame(
                "Harm ≥ moderate, last 12 months",
                s.funnel,
                [
                    ("department", "Department"),
                    ("harm_events", "Harm events"),
                    ("patient_days", "Patient-days"),
                ],
            ),
            note=f"{NOTE} Method: funnel plot, Poisson limits.",
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
            note=f"{NOTE} Method: {method}; lag {lag} months.",
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
            "as less safe.",
        ),
    ]
    if s.linkage.height:
        page.panels.append(
            Panel(
                "linkage",
                "Linkage estimates",
                None,
                from_frame(
                    "Incidence-rate ratio per 10 pp readiness gap",
                    s.linkage,
                    [
                        ("competency_id", "Competency"),
                        ("category", "Incident category"),
                        ("lag_months", "Lag (months)"),
                        ("irr_per_10pp", "IRR per 10 pp", "f2"),
                        ("ci_low", "95% low", "f2"),
                        ("ci_high", "95% high", "f2"),
                        ("p_value", "p", "f2"),
                        ("n_obs", "n"),
                        ("method", "Method"),
                        ("message", "Message"),
                    ],
                ),
                note=f"{NOTE} Method: {method}.",
            )
        )
    return page
