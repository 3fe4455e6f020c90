"""Harbor's plants at study size, read from the manifest's true series (no model involved)."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import pytest

from analytics.simulate.harbor import generate


@pytest.fixture(scope="module", params=[1, 2])
def doc(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp(f"harbor-study-{request.param}")
    generate(out, seed=request.param)
    return json.loads((Path(out) / "manifest.json").read_text())


def baseline(series: list[float], start: int) -> float:
    return statistics.mean(series[start - 7 : start - 1])


def test_declines_fall_after_their_start_in_units_of_20_or_more(doc: Any) -> None:
    drops = {}
    for d in doc["declines"]:
        rate, start = d["realised"]["compliance"], d["start_month"]
        assert d["n_staff"] >= 20
        assert min(rate[: start - 1]) >= 0.8  # in control before
        drops[d["id"]] = baseline(rate, start) - rate[min(start + 3, len(rate) - 1)]
    assert drops["steep_decline"] >= 0.12
    assert 0.03 <= drops["subtle_decline"] < drops["steep_decline"]


def test_low_unit_is_low_and_stable(doc: Any) -> None:
    rate = doc["low_unit"]["realised"]["compliance"]
    assert 27 <= doc["low_unit"]["n_staff"] <= 33
    assert 0.66 <= statistics.mean(rate) <= 0.80
    assert max(rate) - min(rate) <= 0.2
    first, second = statistics.mean(rate[:12]), statistics.mean(rate[12:])
    assert abs(first - second) <= 0.06  # not declining


def test_sizes_span_4_to_200(doc: Any) -> None:
    sizes = doc["sizes"]
    assert min(sizes.values()) == 4 and 180 <= max(sizes.values()) <= 220
    assert len({d.split("-")[0] for d in sizes}) == 3  # three sites
    wave = doc["hiring_wave"]
    assert sizes[wave["department_id"]] >= 48 + wave["hires"] - 6
