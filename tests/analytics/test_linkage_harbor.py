"""Planted truth on the second simulator (harbor): its own ids, categories and crosswalk.

One small seed, through the study's per-seed path (bench/linkage/study.py): the planted
medication ~ HH-C101 association (IRR 1.6 per 10 pp) is the primary pair and its 95 % CI
covers 1.6; the null pair (fall ~ HH-C102) is not significant; the shipped example crosswalk
on this catalogue is an error, and the default by category still links HH-C101.
"""

from __future__ import annotations

import polars as pl
import pytest

from analytics.crosswalk import resolve_crosswalk
from analytics.linkage_models import linkage
from analytics.seed import seed_bytes
from bench.linkage.sim import sim_hospital
from bench.linkage.study import Hospital, score


@pytest.fixture(scope="module")
def harbor() -> Hospital:
    return sim_hospital("harbor", 2, 300)


def test_planted_association_and_null_pair(harbor: Hospital) -> None:
    result = score(harbor)
    assert result["planted_competency_is_primary"] and result["planted_estimable"]
    assert result["planted_covered"], result["planted_ci"]
    assert result["null_estimable"] and not result["null_significant"]


def test_example_crosswalk_is_refused_loudly_and_the_default_links_own_ids(
    harbor: Hospital,
) -> None:
    shipped = pl.read_csv(seed_bytes("category_competency"))
    xw = resolve_crosswalk(shipped, harbor.competencies, harbor.incidents)
    assert "crosswalk_names_no_competency" in {w.code for w in xw.warnings}
    out = linkage(harbor.incidents, harbor.census, harbor.series, xw.pairs)
    meds = out.filter((pl.col("category") == "medication") & (pl.col("competency_id") == "HH-C101"))
    assert meds.filter(pl.col("gap_kind") == "compliance")["estimable"].item()
