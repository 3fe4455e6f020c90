"""The hospital's incident-category -> competency crosswalk, validated (ANALYTICS.md §8).

``category_competency`` is the hospital's own import. :func:`resolve_crosswalk` checks it
against the imported competencies and incident categories and returns the pairs the linkage
model fits, with warnings (the ``model_warnings`` table) whenever something is off:

* no crosswalk imported: the shipped default maps each incident category to a competency
  *category* (``analytics/seed/category_competency_default.csv``: fall -> safety, medication
  -> clinical, privacy_breach -> privacy, ...) and every imported competency of that category
  is a candidate; never one catalogue's competency ids;
* a crosswalk that names no imported competency: an error, and the default is used instead;
* some rows naming unknown competencies: those rows are left out and listed;
* categories the crosswalk maps but no imported incident carries, and incident categories
  with events that the crosswalk does not map: listed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import polars as pl

from analytics.seed import seed_bytes

PAIR_SCHEMA = {
    "category": pl.Utf8,
    "competency_id": pl.Utf8,
    "weight": pl.Float64,
    "criticality": pl.Float64,
    "source": pl.Utf8,
}
WARNING_SCHEMA = {"code": pl.Utf8, "severity": pl.Utf8, "message": pl.Utf8, "detail": pl.Utf8}


@dataclass(frozen=True)
class ModelWarning:
    """One row of ``model_warnings``: a code, 'warning' or 'error', plain words and detail."""

    code: str
    severity: str
    message: str
    detail: str = ""


@dataclass
class Crosswalk:
    """The (category, competency) pairs to fit and the warnings raised on the way."""

    pairs: pl.DataFrame
    warnings: list[ModelWarning] = field(default_factory=list)


def warnings_frame(items: list[ModelWarning]) -> pl.DataFrame:
    """The ``model_warnings`` table (an empty table with its columns when all is well)."""
    rows = [w.__dict__ for w in items]
    return pl.DataFrame(rows, schema=WARNING_SCHEMA)


def default_map() -> pl.DataFrame:
    """The shipped default: incident category -> competency category, weight."""
    return pl.read_csv(io.BytesIO(seed_bytes("category_competency_default")))


def _catalogue(competencies: pl.DataFrame) -> pl.DataFrame:
    cols = competencies.columns
    return competencies.select(
        pl.col("competency_id").cast(pl.Utf8),
        (pl.col("category") if "category" in cols else pl.lit(None)).cast(pl.Utf8),
        (pl.col("criticality") if "criticality" in cols else pl.lit(None))
        .cast(pl.Float64)
        .fill_null(0.0),
    )


def _default_pairs(catalogue: pl.DataFrame) -> pl.DataFrame:
    return (
        default_map()
        .join(
            catalogue.rename({"category": "competency_category"}),
            on="competency_category",
            how="inner",
        )
        .select("category", "competency_id", pl.col("weight").cast(pl.Float64), "criticality")
        .with_columns(source=pl.lit("default"))
        .sort("category", "competency_id")
    )


def _listed(values: list[str], limit: int = 20) -> str:
    more = f" (+{len(values) - limit} more)" if len(values) > limit else ""
    return ", ".join(values[:limit]) + more


def _use_default(catalogue: pl.DataFrame, out: list[ModelWarning]) -> pl.DataFrame:
    pairs = _default_pairs(catalogue)
    if pairs.is_empty():
        out.append(
            ModelWarning(
                "crosswalk_default_matches_nothing",
                "error",
                "The default crosswalk maps incident categories to competency categories "
                "(safety, clinical, privacy, regulatory), but no imported competency has one: "
                "the incident linkage is blank. Import a category_competency crosswalk.",
            )
        )
    return pairs


def resolve_crosswalk(
    crosswalk: pl.DataFrame, competencies: pl.DataFrame, incidents: pl.DataFrame
) -> Crosswalk:
    """Validate the imported crosswalk and return the pairs to fit (see the module docs)."""
    out: list[ModelWarning] = []
    catalogue = _catalogue(competencies)
    known = set(catalogue["competency_id"].to_list())
    if crosswalk.is_empty():
        out.append(
            ModelWarning(
                "crosswalk_missing_default_used",
                "warning",
                "No category_competency crosswalk is imported: the linkage uses the default "
                "map from incident categories to competency categories. Import the hospital's "
                "own crosswalk (lrs import category_competency FILE).",
            )
        )
        pairs = _use_default(catalogue, out)
    else:
        xw = crosswalk.select(
            pl.col("category").cast(pl.Utf8),
            pl.col("competency_id").cast(pl.Utf8),
            pl.col("weight").cast(pl.Float64),
        )
        unknown = sorted(set(xw["competency_id"].to_list()) - known)
        if len(unknown) == xw["competency_id"].n_unique():
            out.append(
                ModelWarning(
                    "crosswalk_names_no_competency",
                    "error",
                    f"The imported category_competency crosswalk names none of the "
                    f"{len(known)} imported competencies, so it cannot be used: the linkage "
                    "falls back to the default map by competency category. Re-import the "
                    "crosswalk with this hospital's competency ids.",
                    f"unknown competency ids: {_listed(unknown)}",
                )
            )
            pairs = _use_default(catalogue, out)
        else:
            if unknown:
                out.append(
                    ModelWarning(
                        "crosswalk_unknown_competencies",
                        "warning",
                        f"{len(unknown)} competency id(s) in the category_competency crosswalk "
                        "are not imported competencies; their rows are left out of the linkage.",
                        f"unknown competency ids: {_listed(unknown)}",
                    )
                )
            pairs = (
                xw.join(catalogue.select("competency_id", "criticality"), on="competency_id")
                .with_columns(source=pl.lit("imported"))
                .sort("category", "competency_id")
            )
    out.extend(_category_warnings(pairs, incidents, imported=not crosswalk.is_empty()))
    return Crosswalk(pairs.select(list(PAIR_SCHEMA)).cast(PAIR_SCHEMA), out)  # type: ignore[arg-type]


def _category_warnings(
    pairs: pl.DataFrame, incidents: pl.DataFrame, imported: bool
) -> list[ModelWarning]:
    if incidents.is_empty() or "categories" not in incidents.columns:
        return []
    seen = set(incidents["categories"].explode().drop_nulls().to_list())
    mapped = set(pairs["category"].to_list())
    out = []
    unused = sorted(mapped - seen)
    if unused and imported:  # the default maps every category; unused ones are expected
        out.append(
            ModelWarning(
                "crosswalk_category_without_incidents",
                "warning",
                f"{len(unused)} incident categor(ies) in the crosswalk have no imported incidents.",
                f"categories: {_listed(unused)}",
            )
        )
    unmapped = sorted(seen - mapped - {"other", "staffing_infrastructure"})
    if unmapped:
        out.append(
            ModelWarning(
                "incident_category_unmapped",
                "warning",
                f"{len(unmapped)} incident categor(ies) with imported incidents are mapped to no "
                "competency, so they are not in the linkage.",
                f"categories: {_listed(unmapped)}",
            )
        )
    return out
