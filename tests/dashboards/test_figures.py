"""Pure figure functions, checked on ``fig.to_dict()``; theme, filters and small helpers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from dashboards import figures
from dashboards.filters import FilterError, Filters, parse_metric
from dashboards.queries.common import wilson
from dashboards.theme import FLAG_MARKERS, NEUTRAL, diverging_scale

M1, M2, M3 = dt.date(2025, 11, 1), dt.date(2025, 12, 1), dt.date(2026, 1, 1)


def _cells() -> pl.DataFrame:
    rows = []
    flags = {
        ("D1", "C1"): "PRIORITY",
        ("D1", "C2"): "OK",
        ("D2", "C1"): "LOW",
        ("D2", "C2"): "INSUFFICIENT_DATA",
        ("D3", "C1"): "UPDATE_IN_PROGRESS",
        ("D3", "C2"): "DECLINING",
    }
    for (d, c), flag in flags.items():
        rows.append(
            {
                "department_id": d,
                "department": f"Ward {d}",
                "service_line": "Medicine" if d != "D3" else "Surgery",
                "competency_id": c,
                "competency": f"Comp {c}",
                "category": "clinical" if c == "C1" else "safety",
                "n_required": 3 if flag == "INSUFFICIENT_DATA" else 12,
                "compliance": 0.7,
                "compliance_lo": 0.6,
                "compliance_hi": 0.8,
                "readiness": 0.65,
                "readiness_lo": 0.5,
                "readiness_hi": 0.75,
                "flag": flag,
                "method": "EWMA",
                "slope": -0.02,
                "slope_ci_low": -0.03,
                "slope_ci_high": -0.01,
            }
        )
    return pl.DataFrame(rows)


def test_heatmap_cells_markers_groups_and_meta() -> None:
    fig = figures.heatmap(_cells(), "compliance", 0.9).to_dict()
    main, grey, *marks = fig["data"]
    assert main["type"] == grey["type"] == "heatmap"
    z = [list(r) for r in main["z"]]
    assert z[0] == [0.7, 0.7] and z[1][1] is None  # insufficient data is not coloured
    assert [list(r) for r in grey["z"]][1][1] == 1 and grey["text"][1][1] == "n=3"
    assert main["text"][0][0] == "70"  # values in % (the note says so); fits a phone cell
    by_name = {t["name"].split(" ")[0]: t for t in marks}
    assert set(by_name) == {v[2] for v in FLAG_MARKERS.values()}
    assert by_name["P"]["marker"]["symbol"] == "star" and len(by_name["P"]["x"]) == 1
    assert by_name["?"]["y"] == [pytest.approx(1 - 0.28)]
    layout = fig["layout"]
    assert layout["meta"] == {"departments": ["D1", "D2", "D3"], "competencies": ["C1", "C2"]}
    labels = [a["text"] for a in layout["annotations"]]
    assert "<b>Medicine</b>" in labels and "<b>Surgery</b>" in labels
    assert "<b>clinical</b>" in labels  # two columns: room for the whole name
    assert len(layout["shapes"]) == 2  # one service-line and one category separator
    assert "n required = %{customdata[2]}" in main["hovertemplate"]
    assert main["customdata"][0][0][4] == "60% to 80%"
    assert main["customdata"][0][0][5] == "-2.0 pp/month [-3.0, -1.0]"


def test_heatmap_readiness_toggle_uses_readiness_columns() -> None:
    fig = figures.heatmap(_cells(), "readiness", 0.8).to_dict()
    assert fig["data"][0]["z"][0][0] == 0.65
    assert "target 80%" in fig["data"][0]["colorbar"]["title"]["text"]


def test_diverging_scale_is_neutral_at_the_target() -> None:
    scale = diverging_scale(0.9)
    assert [0.9, NEUTRAL] in scale
    assert scale[0][0] == 0 and scale[-1][0] == pytest.approx(1.0)
    assert [p for p, _ in scale] == sorted(p for p, _ in scale)
    with pytest.raises(ValueError):
        diverging_scale(0.5, 1, 0)


def test_department_compliance_dot_plot() -> None:
    depts = pl.DataFrame(
        {
            "name": ["A", "B"],
            "service_line": ["M", "S"],
            "n_required": [10, 20],
            "n_compliant": [9, 10],
            "compliance": [0.9, 0.5],
            "lo": [0.6, 0.3],
            "hi": [0.98, 0.7],
            "weakest": ["x", "y"],
        }
    )
    fig = figures.department_compliance(depts, 0.8).to_dict()
    trace = fig["data"][0]
    assert list(trace["y"]) == ["B", "A"]  # the lowest first
    assert list(trace["marker"]["symbol"]) == ["circle-open", "circle"]
    assert list(trace["error_x"]["arrayminus"]) == pytest.approx([0.2, 0.3])
    assert fig["layout"]["shapes"][0]["x0"] == 0.8


def _series() -> pl.DataFrame:
    rows = []
    for comp, flags in (
        ("Hand hygiene", ["OK", "DECLINING", "PRIORITY"]),
        ("CPR", ["OK", "OK", "UPDATE_IN_PROGRESS"]),
    ):
        for m, flag in zip((M1, M2, M3), flags, strict=True):
            rows.append(
                {
                    "competency_id": comp,
                    "competency": comp,
                    "month": m,
                    "n_required": 10,
                    "compliance_rate": 0.8,
                    "compliance_shrunk": 0.82,
                    "compliance_lo": 0.7,
                    "compliance_hi": 0.9,
                    "readiness": 0.7,
                    "ewma": 0.85,
                    "ewma_lcl": 0.75,
                    "flag": flag,
                }
            )
    return pl.DataFrame(rows)


def test_trends_small_multiples_with_ewma_and_flag_points() -> None:
    fig = figures.trends(_series()).to_dict()
    names = [t["name"] for t in fig["data"]]
    assert names.count("EWMA lower limit") == 2 and names.count("EWMA") == 2
    flags = [t for t in fig["data"] if t.get("legendgroup") in FLAG_MARKERS]
    assert {t["legendgroup"] for t in flags} == {"DECLINING", "PRIORITY", "UPDATE_IN_PROGRESS"}
    assert [t["xaxis"] for t in flags] == ["x", "x", "x2"]
    assert fig["layout"]["yaxis2"]["tickformat"] == ".0%"
    titles = [a["text"] for a in fig["layout"]["annotations"]]
    assert titles == [
        "<b>Hand hygiene — Priority</b>",
        "<b>CPR — Update in progress after a protocol change</b>",
    ]


def test_trends_put_flagged_first_and_zoom_the_shared_axis() -> None:
    calm = (
        _series()
        .filter(pl.col("competency") == "CPR")
        .with_columns(competency=pl.lit("Asepsis"), flag=pl.lit("OK"), compliance_lo=pl.lit(0.93))
    )
    fig = figures.trends(pl.concat([calm, _series()])).to_dict()
    titles = [a["text"] for a in fig["layout"]["annotations"]]
    assert titles[0].startswith("<b>Hand hygiene — Priority") and titles[-1] == "<b>Asepsis</b>"
    ranges = {fig["layout"][k]["range"][0] for k in ("yaxis", "yaxis2", "yaxis3")}
    assert ranges == {0.65}  # shared, just under the lowest band (0.70), not 0
    narrow = fig["layout"]["meta"]["narrow"]
    assert narrow["xaxis"]["domain"] == narrow["xaxis3"]["domain"] == [0.0, 1.0]  # one column


def test_decomposition_stacks_five_parts() -> None:
    drops = pl.DataFrame(
        {
            "competency": ["CPR"],
            "flag": ["DECLINING"],
            "expiries": [0.5],
            "failed_assessments": [0.2],
            "new_hires_onboarding": [0.1],
            "protocol_invalidation": [0.1],
            "turnover": [0.1],
        }
    )
    fig = figures.decomposition(drops).to_dict()
    assert fig["layout"]["barmode"] == "stack"
    assert fig["data"][0]["name"] == "Expiries" and len(fig["data"]) == 5
    assert {t["marker"]["pattern"]["shape"] for t in fig["data"]} >= {"/", "x"}
    assert figures.decomposition(pl.DataFrame()).to_dict()["data"] == []


def test_expiry_cliff_and_burn_down() -> None:
    cliff = pl.DataFrame(
        {"week": [M1, M1, M2], "department": ["A", "B", "A"], "expiring": [3, 1, 2]}
    )
    fig = figures.expiry_cliff(cliff).to_dict()
    assert [t["name"] for t in fig["data"]] == ["A", "B"]
    assert list(fig["data"][0]["y"]) == [3, 2] and fig["layout"]["barmode"] == "stack"
    curve = pl.DataFrame(
        {"department": ["A", "A"], "day": [M1, M2], "share": [0.2, 0.6], "required": [10, 10]}
    )
    burn = figures.burn_down(curve, "CPR", M1, M3).to_dict()
    assert list(burn["data"][0]["y"]) == [0.2, 0.6]
    assert burn["layout"]["shapes"][1]["x0"] == "2026-01-01"
    assert burn["layout"]["annotations"][0]["text"] == "due 2026-01-01"


def test_burn_down_is_the_hospital_and_three_laggards_not_a_tangle() -> None:
    rows = [
        {"department": f"D{k:02}", "day": day, "share": 0.05 * k + 0.2 * j, "required": 10}
        for k in range(15)
        for j, day in enumerate((M1, M2, M3))
    ]
    fig = figures.burn_down(pl.DataFrame(rows), "CPR", M1, M1).to_dict()
    legend = [t["name"] for t in fig["data"] if t["showlegend"]]
    assert legend == [
        "Other departments",
        "D00 (behind)",
        "D01 (behind)",
        "D02 (behind)",
        "Hospital",
    ]
    assert len(fig["data"]) == 16
    assert len(fig["layout"]["shapes"]) == 1 and not fig["layout"]["annotations"]  # no due line


def test_expiry_cliff_keeps_five_departments_and_groups_the_rest() -> None:
    cliff = pl.DataFrame(
        {"week": [M1] * 8, "department": [f"D{k}" for k in range(8)], "expiring": list(range(8))}
    )
    fig = figures.expiry_cliff(cliff).to_dict()
    names = [t["name"] for t in fig["data"]]
    assert names == ["D7", "D6", "D5", "D4", "D3", "Other departments"]
    assert list(fig["data"][-1]["y"]) == [0 + 1 + 2]


def test_content_figures() -> None:
    acts = pl.DataFrame(
        {
            "activity_id": ["https://x/a/course-1"],
            "name": ["Sepsis recognition"],
            "first_attempt_pass_rate": [0.6],
            "attempts_to_pass": [1.5],
            "click_through_rate": [0.1],
            "n_learners": [40],
        }
    )
    fig = figures.activity_quality(acts).to_dict()
    assert [t["xaxis"] for t in fig["data"]] == ["x", "x2", "x3"]
    assert list(fig["data"][0]["y"]) == ["Sepsis recognition"]
    assert list(fig["data"][0]["text"]) == ["60%"]
    assert fig["layout"]["xaxis3"]["range"] == [0.0, 1.0]  # click-through is a 0-100 % rate
    items = pl.DataFrame(
        {
            "activity_id": ["a", "a"],
            "item_id": ["a/q1", "a/q2"],
            "difficulty": [0.5, 0.9],
            "discrimination": [0.4, 0.1],
            "n": [30, 30],
        }
    )
    it = figures.item_quality(items).to_dict()
    assert list(it["data"][0]["marker"]["symbol"]) == ["circle", "x"]


def test_safety_figures_carry_the_caveat_and_method() -> None:
    depts = pl.DataFrame(
        {
            "department": ["A", "B"],
            "patient_days": [5000.0, 9000.0],
            "harm_events": [20, 30],
            "near_misses": [100, 40],
        }
    )
    fun = figures.funnel(depts).to_dict()
    assert "Association, not causation." in fun["layout"]["annotations"][0]["text"]
    assert {t["name"] for t in fun["data"]} == {
        "95% limit",
        "99.8% limit",
        "Department above the 99.8% limit",
        "Department above the 95% limit",
        "Department within limits",
    }
    assert fun["layout"]["shapes"][0]["y0"] == pytest.approx(50 * 1000 / 14000)
    series = pl.DataFrame(
        {"month": [M1, M2, M3], "harm_rate": [1.0, 2.0, 3.0], "readiness_gap": [0.1, 0.2, 0.3]}
    )
    gap = figures.rate_and_gap(series, 1, "negative binomial").to_dict()
    shifted = gap["data"][2]
    assert list(shifted["y"]) == [0.1, 0.2] and list(shifted["x"]) == ["2025-12-01", "2026-01-01"]
    assert any(a["text"] == "lag 1 mo" for a in gap["layout"]["annotations"])
    assert "negative binomial" in gap["layout"]["annotations"][0]["text"]
    ratio = depts.with_columns(ratio=pl.col("near_misses") / pl.col("harm_events"))
    nm = figures.near_miss_ratio(ratio).to_dict()
    assert list(nm["data"][0]["text"]) == ["5.0 : 1", "1.3 : 1"]
    assert nm["data"][0]["marker"]["color"] != "#b35806"  # never the "below target" orange
    assert "Association, not causation." in nm["layout"]["annotations"][0]["text"]


def test_funnel_limits_widen_for_small_units() -> None:
    lo, hi = figures.safety.funnel_limits(4.0, np.array([500.0, 50_000.0]), 0.998)
    assert hi[0] - lo[0] > hi[1] - lo[1]


def test_filters_parse_validate_and_round_trip() -> None:
    f = Filters.parse({"site": "North", "as_of": "2026-01-15", "role_family": "clinical"})
    assert f.as_of == dt.date(2026, 1, 15)
    assert f.query(metric="readiness") == (
        "site=North&role_family=clinical&as_of=2026-01-15&metric=readiness"
    )
    with pytest.raises(FilterError) as err:
        Filters.parse({"site": "<script>"})
    assert err.value.param == "site"
    assert parse_metric({}) == "compliance"


def test_wilson_interval() -> None:
    lo, hi = wilson(8, 10)
    assert 0.49 < lo < 0.5 and 0.94 < hi < 0.95
    assert all(v != v for v in wilson(0, 0))


def test_every_figure_passes_plotly_validation() -> None:
    """Figures are built unvalidated for speed; validating their dicts must still succeed."""
    import plotly.graph_objects as go

    series = pl.DataFrame({"month": [M1, M2], "harm_rate": [1.0, 2.0], "readiness_gap": [0.1, 0.2]})
    depts = pl.DataFrame(
        {"department": ["A"], "patient_days": [900.0], "harm_events": [3], "near_misses": [9]}
    )
    built = [
        figures.heatmap(_cells()),
        figures.trends(_series()),
        figures.funnel(depts),
        figures.rate_and_gap(series, 1, "m"),
        figures.near_miss_ratio(depts.with_columns(ratio=pl.lit(3.0))),
        figures.expiry_cliff(pl.DataFrame({"week": [M1], "department": ["A"], "expiring": [1]})),
    ]
    for fig in built:
        go.Figure(fig.to_dict())  # raises ValueError on any invalid property


def test_narrow_column_groups_are_shortened_so_labels_never_overlap() -> None:
    from dashboards.figures.heatmap import _groups

    _shapes, notes = _groups(["privacy"] + ["clinical"] * 19, False)  # 20 narrow columns
    narrow, wide = notes
    assert narrow["text"] == "<b>pr…</b>" and narrow["hovertext"] == "privacy"
    assert wide["text"] == "<b>clinical</b>" and "textangle" not in narrow


def test_funnel_names_and_colours_only_the_departments_at_or_above_a_limit() -> None:
    depts = pl.DataFrame(
        {
            "department": ["A", "B", "C", "D"],
            "patient_days": [5000.0, 9000.0, 6000.0, 7000.0],
            "harm_events": [20, 30, 60, 22],
        }
    )
    traces = {t["name"]: t for t in figures.funnel(depts).to_dict()["data"]}
    high = traces["Department above the 99.8% limit"]
    assert list(high["text"]) == ["C"] and high["mode"] == "markers+text"
    calm = traces["Department within limits"]
    assert sorted(calm["text"]) == ["A", "B", "D"] and calm["mode"] == "markers"  # hover only


def test_near_miss_bars_say_why_they_are_empty() -> None:
    ratio = pl.DataFrame(
        {
            "department": ["A", "B", "C"],
            "near_misses": [40, None, 30],
            "harm_events": [20, 12, 0],
            "ratio": [2.0, None, None],
        }
    )
    fig = figures.near_miss_ratio(ratio).to_dict()
    assert list(fig["data"][0]["text"]) == [
        "2.0 : 1",
        "hidden: a count under 11",
        "no harm events",
    ]


def test_overview_axis_starts_just_below_the_lowest_department() -> None:
    from dashboards.figures.overview import zoom_floor

    assert zoom_floor([0.92, 0.97, 1.0, 0.9]) == pytest.approx(0.85)
    assert zoom_floor([0.3, None, float("nan")]) == pytest.approx(0.25)
    assert zoom_floor([]) == 0.0
    depts = pl.DataFrame(
        {
            "name": ["A", "B"],
            "service_line": ["M", "S"],
            "n_required": [50, 60],
            "n_compliant": [48, 59],
            "compliance": [0.96, 0.983],
            "lo": [0.93, 0.95],
            "hi": [0.99, 1.0],
            "weakest": ["CPR", "CPR"],
        }
    )
    fig = figures.department_compliance(depts, 0.9).to_dict()
    assert fig["layout"]["xaxis"]["range"][0] == pytest.approx(0.85)
    assert "axis starts at 85%" in fig["layout"]["title"]["text"]


def test_activity_labels_use_definitions_then_competencies_and_stay_distinct() -> None:
    from dashboards.queries.safety import activity_labels

    ids = [f"https://lms/courses/C{i}/au/assessment" for i in (1, 2, 3)] + ["https://lms/x/y"]
    known = {ids[0]: "Sepsis: assessment", ids[1]: "Falls: assessment"}
    labels = activity_labels(ids, known, {"C3": "Dysphagia"})
    assert labels == ["Sepsis", "Falls", "Dysphagia", "x/y"]
    same = activity_labels(ids[:2], {ids[0]: "Falls", ids[1]: "Falls"}, {})
    assert same == ["Falls", "Falls (2)"]


def test_linkage_rows_never_show_an_implausible_irr() -> None:
    from dashboards.queries.linkage import _clean, irr_text

    wild = _clean({"irr": 2.1e31, "irr_lo": 0.0, "irr_hi": float("inf"), "estimable": True})
    assert wild["estimable"] is False and wild["irr"] is None
    assert "did not converge" in wild["reason"] and irr_text(wild) == "not estimable"
    fine = _clean({"irr": 1.18, "irr_lo": 1.02, "irr_hi": 1.37, "estimable": True})
    assert irr_text(fine) == "1.18 (1.02 to 1.37)" and fine["reason"] is None
    told = _clean({"irr": None, "estimable": False, "reason": "Too few events."})
    assert told["reason"] == "Too few events."


def _wide_cells(n_comp: int) -> pl.DataFrame:
    """Two departments by ``n_comp`` competencies with long names (a real hospital's width)."""
    base = _cells().row(1, named=True)
    return pl.DataFrame(
        [
            {
                **base,
                "department_id": d,
                "competency_id": f"C{j}",
                "competency": f"Long competency name number {j}",
                "compliance": 1.0,
            }
            for d in ("D1", "D2")
            for j in range(n_comp)
        ]
    )


def test_wide_heatmap_keeps_cell_text_and_column_names_apart() -> None:
    """40 columns: smaller cell text ("100" fits a ~19 px cell) and upright column names."""
    narrow = figures.heatmap(_cells()).to_dict()
    assert narrow["data"][0]["textfont"]["size"] == 11
    assert narrow["layout"]["xaxis"]["tickangle"] == -30
    wide = figures.heatmap(_wide_cells(40)).to_dict()
    assert wide["data"][0]["textfont"]["size"] <= 8
    assert wide["layout"]["xaxis"]["tickangle"] == -90
    assert wide["layout"]["height"] > narrow["layout"]["height"] + 100  # room for the names


def test_department_compliance_puts_the_lowest_first() -> None:
    depts = pl.DataFrame(
        {
            "name": ["Alpha", "Beta", "Gamma"],
            "service_line": ["A", "A", "B"],
            "n_required": [10, 10, 10],
            "n_compliant": [9, 6, 10],
            "compliance": [0.9, 0.6, 1.0],
            "lo": [0.6, 0.3, 0.7],
            "hi": [0.98, 0.85, 1.0],
            "weakest": ["x", "y", "z"],
        }
    )
    fig = figures.department_compliance(depts, 0.9).to_dict()
    assert list(fig["data"][0]["y"]) == ["Beta", "Alpha", "Gamma"]  # top of a reversed axis
    assert list(fig["data"][0]["x"]) == [0.6, 0.9, 1.0]


def test_pass_rate_bars_carry_their_wilson_interval() -> None:
    from dashboards.queries.safety import with_pass_interval

    acts = with_pass_interval(
        pl.DataFrame(
            {
                "activity_id": ["a", "b"],
                "name": ["Few learners", "Many learners"],
                "first_attempt_pass_rate": [0.6, 0.6],
                "attempts_to_pass": [1.5, 1.5],
                "click_through_rate": [0.1, 0.1],
                "n_learners": [10, 1000],
            }
        )
    )
    assert acts["pass_lo"][0] == pytest.approx(wilson(6, 10)[0])
    bars = figures.activity_quality(acts).to_dict()["data"][0]
    wide, narrow = (bars["error_x"]["arrayminus"][k] + bars["error_x"]["array"][k] for k in (0, 1))
    assert wide > 0.4 and narrow < 0.07  # ten learners say little, a thousand a lot
    assert "95% CI" in bars["hovertemplate"]


def test_phone_cuts_long_course_names_so_the_bars_keep_their_room() -> None:
    long_name = "Urinary Catheter Care (CAUTI Bundle)"
    acts = pl.DataFrame(
        {
            "activity_id": ["a", "b"],
            "name": [long_name, "Hand Hygiene"],
            "first_attempt_pass_rate": [0.8, 0.9],
            "attempts_to_pass": [1.2, 1.1],
            "click_through_rate": [0.0, 0.1],
            "n_learners": [50, 60],
        }
    )
    narrow = figures.activity_quality(acts).to_dict()["layout"]["meta"]["narrow"]
    for axis in ("yaxis", "yaxis2", "yaxis3"):
        assert list(narrow[axis]["tickvals"]) == [long_name, "Hand Hygiene"]
        cut, whole = narrow[axis]["ticktext"]
        assert whole == "Hand Hygiene" and cut.endswith("…") and len(cut) <= 16
