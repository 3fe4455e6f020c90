"""The training-incident linkage table (ANALYTICS.md §8; CONTRACT.md "Linkage table").

For every crosswalk pair (incident category, competency) and gap kind ('compliance':
1 - compliance rate; 'readiness': 1 - readiness), the pooled negative-binomial model of
:func:`analytics.stats.linkage.fit_linkage` relates the department-month count of harm >=
moderate incidents of the category to the gap lagged ``lag`` months, with a patient-day offset,
department and month effects and department-clustered errors. Reported: the IRR per 10 pp gap
with its 95 % CI, p, q and E-value, or "not estimable" with the reason.

Pre-specified before any outcome is looked at:

* **primary pair**, one per incident category: the compliance gap of the crosswalk's
  highest-weight competency for it (ties: higher criticality, then the competency id in
  alphabetical order). Its p-value is read at 0.05 on its own (q = p).
* every other row (other competencies, and every readiness-gap row) is secondary; their
  q-values are Benjamini-Hochberg adjusted across all estimable secondary rows.
* **negative-control outcome** (Lipsitch 2010): for each primary competency, the same gap
  against all incidents of a negative-control category: the first of ``privacy_breach``,
  ``sharps_exposure``, ``workplace_violence`` that the crosswalk does not map to that
  competency and that has at least ``min_events`` incidents (chosen on counts alone, never on
  an association). These are events a clinical or safety competency cannot plausibly prevent
  (a records disclosure, a staff needlestick, an assault on staff) yet they share the unit's
  confounders (staffing, turnover, workload, reporting culture); an association there points
  to confounding, not to training.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import numpy as np
import polars as pl

from analytics.stats.evalue import bh_qvalues, e_value, e_value_ci
from analytics.stats.linkage import Guards, LinkageResult, fit_linkage

HARM = ("moderate", "severe", "death")
NO_CENSUS = "linkage disabled: no census (patient-days) imported, so no rates can be computed"
METHOD = (
    "negative binomial GLM, log patient-days offset, department and month effects, "
    "department-clustered SEs"
)
GAP_COLUMNS = {"compliance": "compliance_rate", "readiness": "readiness"}


@dataclass(frozen=True)
class LinkageSettings:
    """The pre-specified lag, negative-control category and estimability guards."""

    lag: int = 2
    negative_controls: tuple[str, ...] = ("privacy_breach", "sharps_exposure", "workplace_violence")
    guards: Guards = field(default_factory=Guards)


def primary_pairs(pairs: pl.DataFrame) -> dict[str, str]:
    """category -> its primary competency (highest weight, criticality, then id)."""
    ranked = pairs.sort(
        ["category", "weight", "criticality", "competency_id"],
        descending=[False, True, True, False],
    )
    return dict(
        ranked.group_by("category", maintain_order=True)
        .first()
        .select("category", "competency_id")
        .iter_rows()
    )


def monthly_counts(incidents: pl.DataFrame, harm_only: bool) -> pl.DataFrame:
    """(category, department_id, month, y): incidents (harm >= moderate if ``harm_only``)."""
    inc = incidents.filter(pl.col("event_type") == "incident")
    if harm_only:
        inc = inc.filter(pl.col("harm_level").is_in(HARM))
    return (
        inc.select(
            "department_id",
            month=pl.col("discovered_date").dt.truncate("1mo"),
            category=pl.col("categories"),
        )
        .explode("category")
        .group_by("category", "department_id", "month")
        .agg(y=pl.len())
    )


def linkage(
    incidents: pl.DataFrame,
    census: pl.DataFrame,
    series: pl.DataFrame,
    pairs: pl.DataFrame,
    settings: LinkageSettings | None = None,
) -> pl.DataFrame:
    """The linkage table: one row per (category, competency_id, gap_kind), plus controls."""
    settings = settings or LinkageSettings()
    if census.is_empty():
        return _frame([_row("*", "*", "compliance", settings.lag, None, NO_CENSUS)])
    exposure = census.select("department_id", "month", pl.col("patient_days").cast(pl.Float64))
    harm = monthly_counts(incidents, harm_only=True)
    primary = primary_pairs(pairs)
    rows = []
    for cat, comp in pairs.select("category", "competency_id").iter_rows():
        for kind in GAP_COLUMNS:
            row = _fit(harm, cat, comp, kind, exposure, series, settings)
            row["is_primary"] = kind == "compliance" and primary.get(cat) == comp
            rows.append(row)
    rows += _negative_controls(incidents, pairs, primary, exposure, series, settings)
    return _frame(_adjust(rows))


def negative_control_for(
    comp: str, pairs: pl.DataFrame, totals: dict[str, int], settings: LinkageSettings
) -> str | None:
    """The first candidate category not mapped to ``comp`` with enough incidents, if any."""
    for cat in settings.negative_controls:
        mapped = pairs.filter((pl.col("category") == cat) & (pl.col("competency_id") == comp))
        if mapped.is_empty() and totals.get(cat, 0) >= settings.guards.min_events:
            return cat
    return None


def _negative_controls(
    incidents: pl.DataFrame,
    pairs: pl.DataFrame,
    primary: dict[str, str],
    exposure: pl.DataFrame,
    series: pl.DataFrame,
    settings: LinkageSettings,
) -> list[dict[str, object]]:
    counts = monthly_counts(incidents, harm_only=False)
    totals = dict(counts.group_by("category").agg(pl.col("y").sum()).iter_rows())
    rows = []
    for comp in sorted(set(primary.values())):
        nc = negative_control_for(comp, pairs, totals, settings)
        if nc is None:
            names = ", ".join(settings.negative_controls)
            reason = f"no negative-control category ({names}) has {settings.guards.min_events}+ "
            row = _row("*", comp, "compliance", settings.lag, None, reason + "incidents")
        else:
            row = _fit(counts, nc, comp, "compliance", exposure, series, settings)
        row.update(negative_control=True, outcome="all_incidents")
        rows.append(row)
    return rows


def _gap_frame(series: pl.DataFrame, comp: str, kind: str) -> pl.DataFrame | None:
    column = GAP_COLUMNS[kind]
    if column not in series.columns:
        return None
    return (
        series.filter(pl.col("competency_id") == comp)
        .select("department_id", "month", gap=1.0 - pl.col(column).cast(pl.Float64))
        .drop_nulls("gap")
    )


def _fit(
    counts: pl.DataFrame,
    cat: str,
    comp: str,
    kind: str,
    exposure: pl.DataFrame,
    series: pl.DataFrame,
    settings: LinkageSettings,
) -> dict[str, object]:
    gap = _gap_frame(series, comp, kind)
    if gap is None:
        return _row(cat, comp, kind, settings.lag, None, f"no {kind} series computed")
    if gap.is_empty():
        return _row(cat, comp, kind, settings.lag, None, f"no department-months with a {kind} gap")
    y = counts.filter(pl.col("category") == cat).drop("category")
    frame = (
        exposure.join(gap, on=["department_id", "month"], how="inner")
        .join(y, on=["department_id", "month"], how="left")
        .with_columns(pl.col("y").fill_null(0))
    )
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        result = fit_linkage(
            frame["y"].to_numpy(),
            frame["patient_days"].to_numpy(),
            frame["department_id"].to_numpy(),
            frame["month"].dt.strftime("%Y-%m").to_list(),
            frame["gap"].to_numpy(),
            lag=settings.lag,
            guards=settings.guards,
        )
    return _row(cat, comp, kind, settings.lag, result, result.reason)


def _row(
    cat: str, comp: str, kind: str, lag: int, result: LinkageResult | None, reason: str
) -> dict[str, object]:
    ok = result is not None and result.estimable
    irr, lo, hi = (result.irr, result.ci_low, result.ci_high) if ok and result else (None,) * 3
    return {
        "category": cat,
        "competency_id": comp,
        "gap_kind": kind,
        "outcome": "harm_moderate_plus",
        "is_primary": False,
        "negative_control": False,
        "estimable": ok,
        "reason": None if ok else reason,
        "irr": irr,
        "irr_lo": lo,
        "irr_hi": hi,
        "p_value": result.p_value if ok and result else None,
        "q_value": None,
        "e_value": e_value(irr) if irr else None,
        "e_value_ci": e_value_ci(lo, hi) if lo and hi else None,
        "n_dept_months": result.n_obs if result else 0,
        "n_events": result.n_events if result else 0,
        "dispersion": result.dispersion if ok and result else None,
        "lag_months": lag,
        "method": METHOD,
        "label": "association, not causation",
    }


def _adjust(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """q = p for primary rows; BH across estimable secondary rows; none for the controls."""
    secondary = [r for r in rows if not r["is_primary"] and not r["negative_control"]]
    p = [r["p_value"] if r["estimable"] else None for r in secondary]
    q = bh_qvalues([np.nan if v is None else cast(float, v) for v in p])
    for r, v in zip(secondary, q, strict=True):
        r["q_value"] = None if np.isnan(v) else float(v)
    for r in rows:
        if r["is_primary"]:
            r["q_value"] = r["p_value"]
    return rows


SCHEMA = {
    "category": pl.Utf8,
    "competency_id": pl.Utf8,
    "gap_kind": pl.Utf8,
    "outcome": pl.Utf8,
    "is_primary": pl.Boolean,
    "negative_control": pl.Boolean,
    "estimable": pl.Boolean,
    "reason": pl.Utf8,
    "irr": pl.Float64,
    "irr_lo": pl.Float64,
    "irr_hi": pl.Float64,
    "p_value": pl.Float64,
    "q_value": pl.Float64,
    "e_value": pl.Float64,
    "e_value_ci": pl.Float64,
    "n_dept_months": pl.Int64,
    "n_events": pl.Int64,
    "dispersion": pl.Float64,
    "lag_months": pl.Int64,
    "method": pl.Utf8,
    "label": pl.Utf8,
}


def _frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    out = pl.DataFrame(rows, schema=SCHEMA)
    # Columns kept for readers of the table before the contract (ANALYTICS.md §9).
    return out.with_columns(
        irr_per_10pp=pl.col("irr"),
        ci_low=pl.col("irr_lo"),
        ci_high=pl.col("irr_hi"),
        n_obs=pl.col("n_dept_months"),
        message=pl.col("reason").fill_null(pl.col("label")),
    )
