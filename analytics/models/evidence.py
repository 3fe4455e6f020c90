"""Which statements count (ANALYTICS.md §4): competence evidence and answered items.

Input is the warehouse's flattened ``statements`` frame (voids already removed). Output frames:

* ``evidence``: one row per qualifying event per person x competency (see ``EVIDENCE_SCHEMA``);
* ``answered_items``: item-level ``answered`` statements that feed comprehension;
* ``certification_evidence``: imported certifications in the evidence shape.
"""

from __future__ import annotations

import polars as pl

from analytics.models.settings import ModelSettings

ADL = "http://adlnet.gov/expapi/verbs/"
ADL_PROFILE = "https://w3id.org/xapi/adl/verbs/"
PASSED, FAILED, COMPLETED, ANSWERED = (
    ADL + v for v in ("passed", "failed", "completed", "answered")
)
SATISFIED, WAIVED = ADL_PROFILE + "satisfied", ADL_PROFILE + "waived"

#: verb IRI -> evidence kind (engagement verbs are absent on purpose).
VERB_KIND: dict[str, str] = {
    PASSED: "passed",
    FAILED: "failed",
    COMPLETED: "completed",
    SATISFIED: "satisfied",
    WAIVED: "waived",
}
#: kinds that can satisfy a requirement (completed only under ``passed_or_completed``).
POSITIVE_KINDS = ("passed", "completed", "satisfied", "waived", "certification")
#: kinds that are an assessment outcome (drive first attempts and half-life updates).
ASSESSMENT_KINDS = ("passed", "failed")

EVIDENCE_SCHEMA = pl.Schema(
    {
        "person_key": pl.Utf8(),
        "competency_id": pl.Utf8(),
        "statement_id": pl.Utf8(),
        "kind": pl.Utf8(),
        "at": pl.Datetime("us", "UTC"),
        "score_scaled": pl.Float64(),
        "first_attempt": pl.Boolean(),
        "object_id": pl.Utf8(),
        "registration": pl.Utf8(),
        "duration_s": pl.Float64(),
    }
)


def item_parents(object_ids: pl.DataFrame, activity_competency: pl.DataFrame) -> pl.DataFrame:
    """``iri, activity_id``: the mapped activity an item id sits under by id prefix.

    An item ``<activity>/items/q1`` (or ``<activity>#q1``, ``<activity>?q=1``) belongs to the
    exactly-mapped ``<activity>``; when several mapped activities prefix it, the longest wins.
    """
    exact = (
        activity_competency.filter(~pl.col("activity_id").str.ends_with("*"))
        .select("activity_id")
        .unique()
    )
    iris = object_ids.select(pl.col("object_id").alias("iri")).drop_nulls().unique()
    under = pl.any_horizontal(
        pl.col("iri").str.starts_with(pl.col("activity_id") + sep) for sep in ("/", "#", "?")
    )
    return (
        iris.join(exact, how="cross")
        .filter(under)
        .sort(pl.col("activity_id").str.len_chars(), descending=True)
        .group_by("iri", maintain_order=True)
        .first()
    )


def match_activities(
    statements: pl.DataFrame, activity_competency: pl.DataFrame, *, items: bool = False
) -> pl.DataFrame:
    """Map statements to competencies: ``statement_id, competency_id, mastery_threshold``.

    A statement matches a mapping row when its object id equals ``activity_id``, starts with a
    prefix pattern (``activity_id`` ending in ``*``), or (cmi5) when one of its parent or
    grouping activities does. With ``items`` (answered item statements) an object id under a
    mapped activity (``<activity>/items/q1``, see :func:`item_parents`) also matches it. When
    several routes match the same competency, the most specific one wins (object before
    parent before grouping; exact before prefix) and gives the mastery threshold.
    """
    routes = [
        statements.select("statement_id", pl.col("object_id").alias("iri"), pl.lit(0).alias("r")),
        statements.select("statement_id", pl.col("parent_ids").alias("iri"), pl.lit(2).alias("r")),
        statements.select(
            "statement_id", pl.col("grouping_ids").alias("iri"), pl.lit(4).alias("r")
        ),
    ]
    cand = pl.concat(
        [routes[0], *(r.explode("iri") for r in routes[1:])], how="vertical_relaxed"
    ).drop_nulls("iri")
    ac = activity_competency.select(
        "activity_id",
        "competency_id",
        pl.col("mastery_threshold").cast(pl.Float64).fill_null(0.8),
    )
    is_prefix = pl.col("activity_id").str.ends_with("*")
    exact = cand.join(ac.filter(~is_prefix), left_on="iri", right_on="activity_id")
    prefixes = ac.filter(is_prefix).with_columns(pre=pl.col("activity_id").str.strip_suffix("*"))
    hits = (
        cand.select("iri")
        .unique()
        .join(prefixes, how="cross")
        .filter(pl.col("iri").str.starts_with(pl.col("pre")))
        .drop("pre", "activity_id")
    )
    by_prefix = cand.join(hits, on="iri").with_columns(pl.col("r") + 1)
    found = [exact.drop("iri"), by_prefix.drop("iri")]
    if items:
        under = item_parents(statements, activity_competency)
        found.append(
            routes[0]
            .join(under, on="iri")
            .join(ac, on="activity_id")
            .select("statement_id", "r", "competency_id", "mastery_threshold")
            .with_columns(pl.col("r") + 1)
        )
    both = pl.concat([f.select(found[0].columns) for f in found], how="vertical_relaxed")
    return (
        both.sort("r")
        .group_by("statement_id", "competency_id", maintain_order=True)
        .first()
        .select("statement_id", "competency_id", "mastery_threshold")
    )


def _scaled_score() -> pl.Expr:
    """``score_scaled``, or (raw - min) / (max - min) when only raw bounds are given."""
    span = pl.col("score_max") - pl.col("score_min")
    derived = pl.when(span > 0).then((pl.col("score_raw") - pl.col("score_min")) / span)
    return pl.coalesce(pl.col("score_scaled"), derived)


def _first_attempt(ev: pl.DataFrame, settings: ModelSettings) -> pl.DataFrame:
    """Mark assessments that are not a retake following a recent failure."""
    pair = ["person_key", "competency_id"]
    assess = pl.col("kind").is_in(ASSESSMENT_KINDS)
    ev = ev.sort([*pair, "at", "statement_id"])
    a = ev.filter(assess).with_columns(
        prev_kind=pl.col("kind").shift(1).over(pair),
        prev_at=pl.col("at").shift(1).over(pair),
    )
    window = pl.duration(days=settings.retake_window_days)
    a = a.with_columns(
        first_attempt=pl.col("prev_kind").is_null()
        | (pl.col("prev_kind") == "passed")
        | ((pl.col("at") - pl.col("prev_at")) > window)
    ).drop("prev_kind", "prev_at")
    rest = ev.filter(~assess).with_columns(first_attempt=pl.lit(False))
    return pl.concat([a, rest]).sort([*pair, "at", "statement_id"])


def evidence(
    statements: pl.DataFrame,
    activity_competency: pl.DataFrame,
    requirements: pl.DataFrame | None = None,
    settings: ModelSettings | None = None,
) -> pl.DataFrame:
    """Qualifying events per person x competency (ANALYTICS.md §4), schema ``EVIDENCE_SCHEMA``.

    * passed / failed are competence evidence; a pass whose scaled score is below the matched
      activity's ``mastery_threshold`` is recorded as ``failed`` (it does not count);
    * completed is kept only when ``requirements`` has a ``passed_or_completed`` rule for the
      statement's ``role_code`` and the competency (without ``requirements`` every completed
      is kept and ``compliance_status`` applies the person's current rule);
    * satisfied and waived count for compliance (waived is its own kind);
    * answered goes to ``answered_items``; engagement verbs and unmatched actors never count.
    """
    settings = settings or ModelSettings()
    st = statements.filter(
        pl.col("person_key").is_not_null() & pl.col("verb_id").is_in(list(VERB_KIND))
    )
    matched = match_activities(st, activity_competency)
    ev = st.join(matched, on="statement_id").with_columns(
        kind=pl.col("verb_id").replace_strict(VERB_KIND, return_dtype=pl.Utf8),
        score_scaled=_scaled_score(),
    )
    below = pl.col("score_scaled").is_not_null() & (
        pl.col("score_scaled") < pl.col("mastery_threshold")
    )
    ev = ev.with_columns(
        kind=pl.when((pl.col("kind") == "passed") & below)
        .then(pl.lit("failed"))
        .otherwise(pl.col("kind"))
    )
    if requirements is not None:
        allowed = requirements.filter(pl.col("evidence_rule") == "passed_or_completed").select(
            "role_code", "competency_id", ok=pl.lit(True)
        )
        ev = ev.join(allowed.unique(), on=["role_code", "competency_id"], how="left").filter(
            (pl.col("kind") != "completed") | pl.col("ok").fill_null(False)
        )
    ev = ev.rename({"timestamp": "at"}).select([c for c in EVIDENCE_SCHEMA if c != "first_attempt"])
    return _first_attempt(ev, settings).select(list(EVIDENCE_SCHEMA)).cast(EVIDENCE_SCHEMA)


ANSWERED_SCHEMA = pl.Schema(
    {
        "person_key": pl.Utf8(),
        "competency_id": pl.Utf8(),
        "statement_id": pl.Utf8(),
        "object_id": pl.Utf8(),
        "registration": pl.Utf8(),
        "success": pl.Boolean(),
        "at": pl.Datetime("us", "UTC"),
        "first_attempt": pl.Boolean(),
    }
)


def answered_items(statements: pl.DataFrame, activity_competency: pl.DataFrame) -> pl.DataFrame:
    """Item-level ``answered`` statements mapped to competencies (schema ``ANSWERED_SCHEMA``).

    An item counts toward its assessment by ``contextActivities.parent`` and by id prefix
    (``<assessment>/items/q1``). ``first_attempt`` is the person's first answer to that item
    (object id) within the registration (a null registration is one group); later answers are
    retries.
    """
    st = statements.filter(pl.col("person_key").is_not_null() & (pl.col("verb_id") == ANSWERED))
    matched = match_activities(st, activity_competency, items=True).drop("mastery_threshold")
    items = st.join(matched, on="statement_id").rename({"timestamp": "at"})
    items = items.sort("at", "statement_id").with_columns(
        first_attempt=pl.col("at")
        .rank("ordinal")
        .over("person_key", "competency_id", "object_id", "registration")
        == 1
    )
    return items.select(list(ANSWERED_SCHEMA)).cast(ANSWERED_SCHEMA)


def certification_evidence(certifications: pl.DataFrame) -> pl.DataFrame:
    """Imported certifications as evidence rows (kind ``certification``) plus ``expires``.

    The id is ``cert:<person>:<competency>:<issued ISO date>``; ``at`` is the issue date at
    00:00 UTC.
    """
    out = certifications.select(
        "person_key",
        "competency_id",
        statement_id=pl.format(
            "cert:{}:{}:{}", "person_key", "competency_id", pl.col("issued").dt.to_string("%F")
        ),
        kind=pl.lit("certification"),
        at=pl.col("issued").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
        score_scaled=pl.lit(None, pl.Float64),
        first_attempt=pl.lit(False),
        object_id=pl.lit(None, pl.Utf8),
        registration=pl.lit(None, pl.Utf8),
        duration_s=pl.lit(None, pl.Float64),
        expires=pl.col("expires"),
    )
    return out.cast(EVIDENCE_SCHEMA)


def unmatched_statements(statements: pl.DataFrame) -> pl.DataFrame:
    """Statements whose actor matched no staff identity, counted per verb (reported, not lost)."""
    return (
        statements.filter(pl.col("person_key").is_null())
        .group_by("verb_id")
        .agg(n=pl.len())
        .sort("verb_id")
    )
