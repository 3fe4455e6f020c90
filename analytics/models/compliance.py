"""Rule-based compliance status (ANALYTICS.md §5) and who is cleared for a regulated task.

Compliance is binary and auditable: every status row lists the evidence ids it relied on.
See docs/models.md for each rule and the decisions taken where the design is silent.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from analytics.models.evidence import POSITIVE_KINDS, certification_evidence

PAIR = ["person_key", "competency_id"]
COMPLIANT_STATUSES = ("compliant", "expiring_30", "expiring_60", "expiring_90")
STATUSES = (
    "not_required",
    "onboarding",
    "overdue",
    "update_due",
    "expired",
    "in_grace",
    "expiring_30",
    "expiring_60",
    "expiring_90",
    "compliant",
)
STATUS_SCHEMA = pl.Schema(
    {
        "as_of": pl.Date(),
        "person_key": pl.Utf8(),
        "department_id": pl.Utf8(),
        "role_code": pl.Utf8(),
        "competency_id": pl.Utf8(),
        "required": pl.Boolean(),
        "status": pl.Utf8(),
        "last_evidence_at": pl.Datetime("us", "UTC"),
        "due_date": pl.Date(),
        "expires_on": pl.Date(),
        "evidence_ids": pl.List(pl.Utf8()),
        "waived": pl.Boolean(),
    }
)


def active_staff(as_of: date, staff: pl.DataFrame) -> pl.DataFrame:
    """Staff employed on ``as_of``: hired on or before it and not left before it."""
    return staff.filter(
        (pl.col("hire_date").is_null() | (pl.col("hire_date") <= as_of))
        & (pl.col("end_date").is_null() | (pl.col("end_date") >= as_of))
    )


def required_pairs(as_of: date, staff: pl.DataFrame, requirements: pl.DataFrame) -> pl.DataFrame:
    """Every (active person, competency) their role requires, with the requirement's terms."""
    req = requirements.select(
        "role_code",
        "competency_id",
        pl.col("recert_interval_days").cast(pl.Int64),
        pl.col("initial_due_days").cast(pl.Int64).fill_null(30),
        pl.col("grace_days").cast(pl.Int64).fill_null(0),
        pl.col("evidence_rule").fill_null("passed"),
    )
    people = active_staff(as_of, staff).select(
        "person_key", "department_id", "role_code", "hire_date"
    )
    return people.join(req, on="role_code")


def latest_invalidation(as_of: date, protocol_changes: pl.DataFrame) -> pl.DataFrame:
    """Per competency, the last invalidating protocol change on or before ``as_of``."""
    return (
        protocol_changes.filter(pl.col("invalidates_prior").fill_null(False))
        .filter(pl.col("change_date") <= as_of)
        .sort("change_date")
        .group_by("competency_id")
        .last()
        .select(
            "competency_id",
            inv_date=pl.col("change_date"),
            retrain_due_days=pl.col("retrain_due_days").cast(pl.Int64).fill_null(0),
        )
    )


def qualifying_evidence(
    as_of: date, pairs: pl.DataFrame, evidence: pl.DataFrame, certifications: pl.DataFrame
) -> pl.DataFrame:
    """Positive evidence on or before ``as_of`` for required pairs, with its ``day`` and expiry
    ``exp`` (``pairs`` carries ``recert_interval_days`` and ``evidence_rule`` per pair)."""
    certs = certification_evidence(certifications.filter(pl.col("issued") <= as_of))
    stmts = evidence.filter(pl.col("kind").is_in(POSITIVE_KINDS)).with_columns(
        expires=pl.lit(None, pl.Date)
    )
    ev = pl.concat([stmts.select(certs.columns), certs], how="vertical_relaxed")
    ev = ev.filter(pl.col("at").dt.date() <= as_of)
    terms = pairs.select(*PAIR, "recert_interval_days", "evidence_rule")
    q = terms.join(ev, on=PAIR).filter(
        (pl.col("kind") != "completed") | (pl.col("evidence_rule") == "passed_or_completed")
    )
    day = pl.col("at").dt.date()
    return q.with_columns(
        day=day,
        exp=pl.coalesce("expires", day + pl.duration(days=pl.col("recert_interval_days"))),
    )


def _best(valid: pl.Expr) -> dict[str, pl.Expr]:
    """Aggregations picking the latest-expiring evidence among rows where ``valid`` holds."""
    best = pl.col("exp").filter(valid).max()
    relied = valid & (pl.col("exp") == best)
    return {
        "exp": best,
        "ids": pl.col("statement_id").filter(relied).unique().sort(),
        "waived": (pl.col("kind").filter(relied) == "waived").all(),
    }


def _summarise(q: pl.DataFrame, inv: pl.DataFrame) -> pl.DataFrame:
    """Per pair: last evidence, best valid (post-invalidation) and best overall evidence."""
    q = q.join(inv, on="competency_id", how="left").with_columns(
        valid=pl.col("inv_date").is_null() | (pl.col("day") >= pl.col("inv_date"))
    )
    v, a = _best(pl.col("valid")), _best(pl.lit(True))
    return q.group_by(PAIR).agg(
        last_evidence_at=pl.col("at").max(),
        v_exp=v["exp"],
        v_ids=v["ids"],
        v_waived=v["waived"],
        a_exp=a["exp"],
        a_ids=a["ids"],
    )


def _status_expr(as_of: date) -> pl.Expr:
    """The §5 decision, in order: no evidence, invalidated, expired/grace, expiring, compliant."""
    ref = pl.coalesce("v_exp", "a_exp")
    days_left = (ref - pl.lit(as_of)).dt.total_days()
    onboarding_due = pl.col("hire_date") + pl.duration(days=pl.col("initial_due_days"))
    grace_end = ref + pl.duration(days=pl.col("grace_days"))
    return (
        pl.when(pl.col("a_exp").is_null())
        .then(
            pl.when(onboarding_due >= as_of).then(pl.lit("onboarding")).otherwise(pl.lit("overdue"))
        )
        .when(pl.col("update"))
        .then(pl.lit("update_due"))
        .when(days_left < 0)
        .then(pl.when(grace_end >= as_of).then(pl.lit("in_grace")).otherwise(pl.lit("expired")))
        .when(days_left <= 30)
        .then(pl.lit("expiring_30"))
        .when(days_left <= 60)
        .then(pl.lit("expiring_60"))
        .when(days_left <= 90)
        .then(pl.lit("expiring_90"))
        .otherwise(pl.lit("compliant"))
    )


def compliance_status(
    as_of: date,
    staff: pl.DataFrame,
    requirements: pl.DataFrame,
    evidence: pl.DataFrame,
    certifications: pl.DataFrame,
    protocol_changes: pl.DataFrame,
    *,
    include_not_required: bool = False,
) -> pl.DataFrame:
    """Status of every required (person, competency) pair on ``as_of`` (schema ``STATUS_SCHEMA``).

    ``evidence`` is the output of ``evidence.evidence``; certifications count with their own
    expiry. Leavers (end_date before ``as_of``) and evidence after ``as_of`` are ignored. With
    ``include_not_required`` the frame also lists ``not_required`` rows for active people who
    hold evidence for a competency their role does not require.
    """
    pairs = required_pairs(as_of, staff, requirements)
    inv = latest_invalidation(as_of, protocol_changes)
    summary = _summarise(qualifying_evidence(as_of, pairs, evidence, certifications), inv)
    t = pairs.join(summary, on=PAIR, how="left").join(inv, on="competency_id", how="left")
    t = t.with_columns(
        update=pl.col("v_exp").is_null()
        & pl.col("a_exp").is_not_null()
        & (pl.col("a_exp") >= pl.col("inv_date"))
    )
    onboarding_due = pl.col("hire_date") + pl.duration(days=pl.col("initial_due_days"))
    out = t.with_columns(
        as_of=pl.lit(as_of),
        required=pl.lit(True),
        status=_status_expr(as_of),
        due_date=pl.when(pl.col("a_exp").is_null())
        .then(onboarding_due)
        .when(pl.col("update"))
        .then(pl.col("inv_date") + pl.duration(days=pl.col("retrain_due_days")))
        .otherwise(pl.coalesce("v_exp", "a_exp")),
        expires_on=pl.when(pl.col("update")).then(None).otherwise(pl.coalesce("v_exp", "a_exp")),
        evidence_ids=pl.when(pl.col("v_exp").is_not_null())
        .then(pl.col("v_ids"))
        .otherwise(pl.col("a_ids"))
        .fill_null(pl.lit([], pl.List(pl.Utf8))),
        waived=pl.col("v_exp").is_not_null() & pl.col("v_waived").fill_null(False),
    )
    out = out.select(list(STATUS_SCHEMA)).cast(STATUS_SCHEMA)
    if include_not_required:
        out = pl.concat([out, _not_required(as_of, staff, evidence, out)])
    return out.sort(PAIR)


def _not_required(
    as_of: date, staff: pl.DataFrame, evidence: pl.DataFrame, required: pl.DataFrame
) -> pl.DataFrame:
    """``not_required`` rows for active people with evidence outside their requirements."""
    people = active_staff(as_of, staff).select("person_key", "department_id", "role_code")
    held = evidence.filter(pl.col("at").dt.date() <= as_of).select(PAIR).unique()
    extra = people.join(held, on="person_key").join(required.select(PAIR), on=PAIR, how="anti")
    return (
        extra.with_columns(
            as_of=pl.lit(as_of),
            required=pl.lit(False),
            status=pl.lit("not_required"),
            last_evidence_at=pl.lit(None, pl.Datetime("us", "UTC")),
            due_date=pl.lit(None, pl.Date),
            expires_on=pl.lit(None, pl.Date),
            evidence_ids=pl.lit([], pl.List(pl.Utf8)),
            waived=pl.lit(False),
        )
        .select(list(STATUS_SCHEMA))
        .cast(STATUS_SCHEMA)
    )


def cleared(
    status_df: pl.DataFrame, regulated_tasks: pl.DataFrame, task_id: str, as_of: date
) -> pl.DataFrame:
    """Who is cleared for ``task_id`` on ``as_of``: every task competency compliant/expiring.

    One row per person in ``status_df``: ``person_key, task_id, as_of, cleared`` and
    ``competencies`` (list of ``{competency_id, status, evidence_ids}``, one per task
    competency; a competency the person's role does not require reads ``not_required`` and
    blocks clearance). Raises ``ValueError`` for an unknown task or a status frame computed
    for another date.
    """
    task = regulated_tasks.filter(pl.col("task_id") == task_id)
    if task.height == 0:
        raise ValueError(f"task_id: unknown regulated task {task_id!r}")
    dates = status_df.get_column("as_of").unique().to_list()
    if dates and dates != [as_of]:
        raise ValueError(f"as_of: status frame is for {dates}, not {as_of}")
    comps = task.select(pl.col("competency_ids").explode().alias("competency_id")).unique()
    grid = status_df.select("person_key").unique().join(comps, how="cross")
    rows = grid.join(
        status_df.select(*PAIR, "status", "evidence_ids"), on=PAIR, how="left"
    ).with_columns(
        status=pl.col("status").fill_null("not_required"),
        evidence_ids=pl.col("evidence_ids").fill_null(pl.lit([], pl.List(pl.Utf8))),
    )
    return (
        rows.sort(PAIR)
        .group_by("person_key")
        .agg(
            cleared=pl.col("status").is_in(COMPLIANT_STATUSES).all(),
            competencies=pl.struct("competency_id", "status", "evidence_ids"),
        )
        .with_columns(task_id=pl.lit(task_id), as_of=pl.lit(as_of))
        .select("person_key", "task_id", "as_of", "cleared", "competencies")
        .sort("person_key")
    )
