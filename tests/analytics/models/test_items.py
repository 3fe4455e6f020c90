"""Item-level statements count toward their parent assessment (by parent and by id prefix).

The demo's shape: the assessment (cmi5 AU) is mapped exactly, its items are
``<au>/items/qN`` and their ``contextActivities.parent`` is the course, which is not mapped.
Before the fix none of those items matched, so every pass looked clicked through.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from analytics.item_quality import item_quality
from analytics.models.comprehension import click_through, comprehension
from analytics.models.evidence import answered_items, evidence
from tests.analytics.models.frames import ANSWERED, PASSED, activity_map, statements, stmt

DAY = date(2024, 3, 1)
COURSE = "https://lms.example/courses/sepsis"
AU = f"{COURSE}/au/assessment"
AMAP = activity_map([(AU, "SEPSIS", 0.8), ("https://lms.example/other", "OTHER", 0.8)])


def attempt(person: str, reg: str, answers: list[bool]) -> list[dict[str, object]]:
    rows = [
        stmt(
            f"{reg}-q{i}",
            person,
            ANSWERED,
            f"{AU}/items/q{i + 1}",
            DAY,
            registration=reg,
            parent_ids=[COURSE],
            success=ok,
        )
        for i, ok in enumerate(answers)
    ]
    score = sum(answers) / max(len(answers), 1)
    rows.append(
        stmt(
            f"{reg}-pass",
            person,
            PASSED,
            AU,
            DAY,
            registration=reg,
            parent_ids=[COURSE],
            score_scaled=max(score, 0.8),
            success=True,
        )
    )
    return rows


ROWS = attempt("ann", "r1", [True, True, False]) + attempt("bob", "r2", [True, True, True])
ROWS += attempt("cli", "r3", [])  # clicked through: passed without answering
ST = statements(ROWS)


def test_items_under_the_assessment_id_map_to_its_competency() -> None:
    items = answered_items(ST, AMAP)
    assert items.height == 6
    assert set(items["competency_id"]) == {"SEPSIS"}


def test_click_through_only_flags_the_pass_without_answers() -> None:
    flags = click_through(evidence(ST, AMAP), answered_items(ST, AMAP))
    by = dict(flags.select("person_key", "no_answers").iter_rows())
    assert by == {"ann": False, "bob": False, "cli": True}


def test_comprehension_counts_the_items() -> None:
    comp = comprehension(DAY, evidence(ST, AMAP), answered_items(ST, AMAP))
    n = dict(comp.select("person_key", "n_items").iter_rows())
    assert n["ann"] == 3 and n["bob"] == 3


def test_item_quality_is_keyed_by_the_assessment_not_the_course() -> None:
    out = item_quality(ST, AMAP)
    assert set(out["activity_id"]) == {AU}
    q3 = out.filter(pl.col("item_id") == f"{AU}/items/q3").row(0, named=True)
    assert q3["difficulty"] == 0.5 and q3["n"] == 2
    assert set(item_quality(ST)["activity_id"]) == {COURSE}  # without a map: first parent


def test_parent_route_maps_items_whose_parent_is_the_mapped_activity() -> None:
    st = statements([stmt("x", "ann", ANSWERED, "urn:item:7", DAY, parent_ids=[AU], success=True)])
    assert answered_items(st, AMAP)["competency_id"].to_list() == ["SEPSIS"]


def test_item_quality_under_a_prefix_mapping_is_keyed_by_the_graded_assessment() -> None:
    # regulatory courses are mapped by prefix (`<course>/*`): the AU itself is not in the map,
    # but its passed statements name it, and the items sit under it.
    prefix_map = activity_map([(f"{COURSE}/*", "SEPSIS", 0.8)])
    assert set(item_quality(ST, prefix_map)["activity_id"]) == {AU}
