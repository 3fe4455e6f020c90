"""Department roll-ups of compliance and readiness, with staff weights from census hours.

Census gives hours per department and month, not per person, so "weight float staff by hours"
is approximated: on-staff employees weigh their FTE, and the department's float/agency pool
together weighs the share of hours that the census attributes to agency work, split equally
among the pool's members. Without a census row every person weighs 1 (headcount).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from analytics.models.compliance import COMPLIANT_STATUSES, active_staff

POOL_TYPES = ("float", "agency")


def _census_month(as_of: date, census: pl.DataFrame) -> pl.DataFrame:
    """Each department's latest census month on or before ``as_of``'s month."""
    month = as_of.strftime("%Y-%m")
    return (
        census.filter(pl.col("month") <= month)
        .sort("month")
        .group_by("department_id")
        .last()
        .select(
            "department_id",
            hours=pl.col("staff_hours_worked").cast(pl.Float64),
            agency=pl.col("agency_hours").cast(pl.Float64),
        )
    )


def staff_weights(
    as_of: date, staff: pl.DataFrame, census: pl.DataFrame | None = None
) -> pl.DataFrame:
    """``person_key, department_id, weight, weighting`` for staff active on ``as_of``.

    ``weighting`` is ``headcount`` (weight 1) or ``hours`` (census-based, see module doc).
    """
    people = active_staff(as_of, staff).select(
        "person_key",
        "department_id",
        pool=pl.col("employment_type").is_in(POOL_TYPES).fill_null(False),
        fte=pl.col("fte").cast(pl.Float64).fill_null(1.0),
    )
    if census is None or census.height == 0:
        return people.select(
            "person_key", "department_id", weight=pl.lit(1.0), weighting=pl.lit("headcount")
        )
    dept = "department_id"
    people = people.join(_census_month(as_of, census), on=dept, how="left").with_columns(
        core_fte=pl.col("fte").filter(~pl.col("pool")).sum().over(dept),
        n_pool=pl.col("pool").sum().over(dept),
    )
    share = pl.col("agency") / (pl.col("hours") - pl.col("agency"))
    usable = (pl.col("hours") > pl.col("agency")) & (pl.col("agency") >= 0)
    pool_weight = (
        pl.when(pl.col("core_fte") > 0)
        .then(pl.col("core_fte") * share / pl.col("n_pool"))
        .otherwise(1.0)
    )
    has_census = pl.col("hours").is_not_null() & pl.col("agency").is_not_null() & usable
    return people.select(
        "person_key",
        dept,
        weight=pl.when(~has_census)
        .then(pl.lit(1.0))
        .when(pl.col("pool"))
        .then(pool_weight)
        .otherwise(pl.col("fte")),
        weighting=pl.when(has_census).then(pl.lit("hours")).otherwise(pl.lit("headcount")),
    )


def department_compliance(
    status_df: pl.DataFrame, staff: pl.DataFrame, census: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Per department x competency: headcount and weighted compliance (§5).

    Columns: ``department_id, competency_id, n_required, n_compliant, compliance_rate,
    weighted_required, weighted_compliant, weighted_compliance_rate, weighting``; compliant
    means ``compliant`` or ``expiring_*``. The department is the person's in ``staff``.
    """
    as_of = _as_of(status_df)
    w = staff_weights(as_of, staff, census)
    req = status_df.filter(pl.col("required")).select(
        "person_key", "competency_id", ok=pl.col("status").is_in(COMPLIANT_STATUSES)
    )
    t = req.join(w, on="person_key")
    return (
        t.group_by("department_id", "competency_id")
        .agg(
            n_required=pl.len(),
            n_compliant=pl.col("ok").sum(),
            weighted_required=pl.col("weight").sum(),
            weighted_compliant=pl.col("weight").filter(pl.col("ok")).sum(),
            weighting=pl.col("weighting").max(),
        )
        .with_columns(
            compliance_rate=pl.col("n_compliant") / pl.col("n_required"),
            weighted_compliance_rate=pl.col("weighted_compliant") / pl.col("weighted_required"),
        )
        .select(
            "department_id",
            "competency_id",
            pl.col("n_required").cast(pl.Int64),
            pl.col("n_compliant").cast(pl.Int64),
            "compliance_rate",
            "weighted_required",
            "weighted_compliant",
            "weighted_compliance_rate",
            "weighting",
        )
        .sort("department_id", "competency_id")
    )


def department_readiness(
    readiness_df: pl.DataFrame, staff: pl.DataFrame, census: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Per department x competency: weighted mean readiness over established required staff.

    Left out: staff whose only evidence is a waiver (exempt, not unready) and onboarding staff
    (never passed, still inside their initial due period; ``n_onboarding`` counts them).
    ``readiness_lo/hi`` (95 %): the half-life's error is shared by everyone, so the mean is
    recomputed at both ends of h's interval; each person's comprehension error is their own,
    so it adds ``1.96 * sqrt(sum w^2 (sd_M R c)^2) / sum w`` on either side. A competency
    without assessment evidence has null readiness and ``readiness_state =
    'no_assessment_evidence'``. The weakest competency is the one with the lowest readiness
    *number* (never a null one), repeated on each of the department's rows with its bounds.
    Columns: ``department_id, competency_id, n_required, n_onboarding, readiness,
    readiness_lo, readiness_hi, readiness_min, readiness_state, weakest_competency_id,
    weakest_readiness, weakest_readiness_lo, weakest_readiness_hi``.
    """
    w = staff_weights(_as_of(readiness_df), staff, census)
    t = readiness_df.filter(pl.col("required") & ~pl.col("waived_only")).join(
        w.drop("department_id"), on="person_key"
    )
    est = ~pl.col("onboarding") & pl.col("readiness").is_not_null()
    wsum = pl.col("weight").filter(est).sum()

    def mean(col: str) -> pl.Expr:
        return pl.when(wsum > 0).then((pl.col(col) * pl.col("weight")).filter(est).sum() / wsum)

    t = t.with_columns(
        at_lo=pl.col("comprehension") * pl.col("retention_lo").fill_null(0.0) * pl.col("carryover"),
        at_hi=pl.col("comprehension") * pl.col("retention_hi").fill_null(0.0) * pl.col("carryover"),
        m_var=(
            pl.col("comprehension_sd") * pl.col("retention").fill_null(0.0) * pl.col("carryover")
        ).pow(2)
        * pl.col("weight").pow(2),
    )
    half = 1.96 * pl.col("m_var").filter(est).sum().sqrt() / wsum
    out = t.group_by("department_id", "competency_id").agg(
        n_required=(~pl.col("onboarding")).sum().cast(pl.Int64),
        n_onboarding=pl.col("onboarding").sum().cast(pl.Int64),
        readiness=mean("readiness"),
        readiness_lo=(mean("at_lo") - half).clip(0.0, 1.0),
        readiness_hi=(mean("at_hi") + half).clip(0.0, 1.0),
        readiness_min=pl.col("readiness").filter(est).min(),
        no_evidence=(pl.col("readiness_state") == "no_assessment_evidence").all(),
    )
    out = out.with_columns(
        readiness_state=pl.when(pl.col("no_evidence"))
        .then(pl.lit("no_assessment_evidence"))
        .when(pl.col("readiness").is_not_null())
        .then(pl.lit("estimated"))
    ).drop("no_evidence")
    weakest = (
        out.drop_nulls("readiness")
        .sort("readiness", "competency_id")
        .group_by("department_id")
        .first()
        .select(
            "department_id",
            weakest_competency_id=pl.col("competency_id"),
            weakest_readiness=pl.col("readiness"),
            weakest_readiness_lo=pl.col("readiness_lo"),
            weakest_readiness_hi=pl.col("readiness_hi"),
        )
    )
    return out.join(weakest, on="department_id", how="left").sort("department_id", "competency_id")


def _as_of(frame: pl.DataFrame) -> date:
    """The single ``as_of`` date a status or readiness frame was computed for."""
    dates = frame.get_column("as_of").unique().to_list()
    if len(dates) != 1:
        raise ValueError(f"as_of: expected one as_of date in the frame, found {dates}")
    value: date = dates[0]
    return value
