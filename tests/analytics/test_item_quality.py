"""Item difficulty/discrimination on a hand-computed case, and settings → flag thresholds."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import polars as pl
import pytest

from analytics.item_quality import item_quality
from analytics.model_settings import from_settings
from analytics.models.evidence import ANSWERED
from config.settings import Settings

ACT = "https://lms.example/quiz"


def _answers(rows: list[tuple[str, str, bool]]) -> pl.DataFrame:
    at = datetime(2024, 1, 1, tzinfo=UTC)
    return pl.DataFrame(
        {
            "statement_id": [f"s{i}" for i in range(len(rows))],
            "person_key": [r[0] for r in rows],
            "registration": [f"reg-{r[0]}" for r in rows],
            "verb_id": [ANSWERED] * len(rows),
            "object_id": [r[1] for r in rows],
            "parent_ids": [[ACT]] * len(rows),
            "success": [r[2] for r in rows],
            "timestamp": [at] * len(rows),
        }
    )


def test_difficulty_and_point_biserial_by_hand() -> None:
    # totals: a=2, b=1, c=0; item q1 correct for a, b; q2 correct for a only
    out = item_quality(
        _answers(
            [
                ("a", "q1", True),
                ("a", "q2", True),
                ("b", "q1", True),
                ("b", "q2", False),
                ("c", "q1", False),
                ("c", "q2", False),
            ]
        )
    ).sort("item_id")
    assert out["item_id"].to_list() == ["q1", "q2"]
    assert out["difficulty"].to_list() == pytest.approx([2 / 3, 1 / 3])
    # q1 = (1,1,0) vs total (2,1,0): r = 1/sqrt(2/3 * 2) = sqrt(3)/2
    assert out["discrimination"][0] == pytest.approx(math.sqrt(3) / 2)
    assert out["discrimination"][1] == pytest.approx(math.sqrt(3) / 2)
    assert out["n"].to_list() == [3, 3]


def test_no_variance_gives_null_discrimination() -> None:
    out = item_quality(_answers([("a", "q1", True), ("b", "q1", True)]))
    assert out["difficulty"][0] == 1.0 and out["discrimination"][0] is None


def test_settings_become_flag_thresholds() -> None:
    model, flags = from_settings(
        Settings(
            flag_min_n=9, flag_min_excess_share=0.2, target_compliance=0.8, flag_ewma_lambda=0.3
        )
    )
    assert (flags.min_n, flags.min_excess_share, flags.lam) == (9, 0.2, 0.3)
    assert model.target_compliance == 0.8
    assert Settings.from_env({"LRS_FLAG_ALARM_E": "500"}).flag_alarm_e == 500.0
    assert from_settings(Settings(flag_alarm_e=500.0))[1].alarm_e == 500.0
    with pytest.raises(ValueError):
        from_settings(Settings(flag_min_months=20))
