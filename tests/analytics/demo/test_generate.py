"""The synthetic hospital: files and columns, determinism, valid cmi5 statements, planted truth."""

from __future__ import annotations

import csv
import hashlib
import json
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from analytics.demo import generate, iter_statements
from analytics.demo.tables import COLUMNS
from lrs.cli import main
from statements.validate import validate_statements

KINDS = (
    "departments",
    "staff",
    "roles",
    "competencies",
    "activity_competency",
    "role_requirements",
    "protocol_changes",
    "regulated_tasks",
    "certifications",
    "census",
    "incidents",
)


@pytest.fixture(scope="module")
def hospital(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hospital")
    generate(out, seed=5, staff=80, months=12)
    return out


def rows(directory: Path, kind: str) -> list[dict[str, str]]:
    with (directory / f"{kind}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_import_file_has_the_design_columns(hospital: Path):
    for kind in KINDS:
        with (hospital / f"{kind}.csv").open(encoding="utf-8") as handle:
            header = handle.readline().strip().split(",")
        assert tuple(header) == COLUMNS[kind], kind
        assert rows(hospital, kind), kind


def test_same_seed_same_bytes(tmp_path: Path):
    def digest(directory: Path) -> dict[str, str]:
        return {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())
        }

    generate(tmp_path / "a", seed=3, staff=40, months=12)
    generate(tmp_path / "b", seed=3, staff=40, months=12)
    generate(tmp_path / "c", seed=4, staff=40, months=12)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a")["statements.jsonl"] != digest(tmp_path / "c")["statements.jsonl"]


def test_sampled_statements_are_valid_xapi_103(hospital: Path):
    sample = [s for i, s in enumerate(iter_statements(hospital)) if i % 37 == 0 or i < 40]
    assert len(sample) > 100
    for statement in sample:
        validate_statements(statement, "1.0.3")


def test_attempts_follow_the_cmi5_sequence(hospital: Path):
    verbs: dict[str, list[str]] = defaultdict(list)
    for statement in iter_statements(hospital):
        verbs[statement["context"]["registration"]].append(
            statement["verb"]["id"].rsplit("/", 1)[1]
        )
    assert len(verbs) > 50
    for sequence in verbs.values():
        assert sequence[:2] == ["launched", "initialized"]
        assert sequence[-3] == "completed" and sequence[-2] in ("passed", "failed")
        assert sequence[-1] == "terminated"
        assert set(sequence[2:-3]) <= {"answered"}


def test_statements_link_to_staff_identities(hospital: Path):
    staff = rows(hospital, "staff")
    mboxes = {r["mbox"] for r in staff if r["mbox"]}
    accounts = {(r["account_homepage"], r["account_name"]) for r in staff if r["account_name"]}
    assert accounts, "agency staff use accounts"
    for statement in iter_statements(hospital):
        actor = statement["actor"]
        if "mbox" in actor:
            assert actor["mbox"] in mboxes
        else:
            assert (actor["account"]["homePage"], actor["account"]["name"]) in accounts


def test_verdict_statements_carry_score_and_moveon(hospital: Path):
    verdicts = [
        s for s in iter_statements(hospital) if s["verb"]["id"].endswith(("passed", "failed"))
    ]
    assert any(s["verb"]["id"].endswith("failed") for s in verdicts)
    for s in verdicts[:200]:
        assert 0 <= s["result"]["score"]["scaled"] <= 1
        assert s["result"]["success"] is s["verb"]["id"].endswith("passed")
        categories = {c["id"] for c in s["context"]["contextActivities"]["category"]}
        assert "https://w3id.org/xapi/cmi5/context/categories/moveon" in categories


def test_truth_names_the_planted_signals(hospital: Path):
    truth = json.loads((hospital / "truth.json").read_text())
    signals = {s["id"]: s for s in truth["signals"]}
    assert set(signals) == {
        "readiness_decline",
        "protocol_change",
        "falls_linkage",
        "near_miss_rise",
        "tiny_unit",
    }
    changes = rows(hospital, "protocol_changes")
    planted = [c for c in changes if c["invalidates_prior"] == "true"]
    assert planted[0]["change_date"] == signals["protocol_change"]["change_date"]
    tiny = signals["tiny_unit"]["department_id"]
    assert sum(r["department_id"] == tiny for r in rows(hospital, "staff")) == 4
    assert truth["counts"]["statements"] == sum(1 for _ in iter_statements(hospital))


def test_incidents_and_census_are_consistent(hospital: Path):
    departments = {r["department_id"] for r in rows(hospital, "departments")}
    incidents = rows(hospital, "incidents")
    assert {r["department_id"] for r in incidents} <= departments
    assert all(r["harm_level"] for r in incidents if r["event_type"] == "incident")
    assert {r["event_type"] for r in incidents} == {"incident", "near_miss", "unsafe_condition"}
    census = rows(hospital, "census")
    assert len(census) == len(departments) * 12
    assert all(r["sentinel_event"] in ("true", "false") for r in incidents)


def test_cli_generate(tmp_path: Path):
    result = CliRunner().invoke(
        main,
        [
            "demo",
            "generate",
            "--seed",
            "2",
            "--out",
            str(tmp_path),
            "--staff",
            "30",
            "--months",
            "12",
            "--end",
            "2024-12-31",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "statements:" in result.output
    assert (tmp_path / "truth.json").exists()
    census = rows(tmp_path, "census")
    assert census[-1]["month"] == "2024-12"


def test_too_small_is_refused(tmp_path: Path):
    with pytest.raises(ValueError):
        generate(tmp_path, staff=5)


def test_planted_signals_are_realised(tmp_path: Path):
    generate(tmp_path, seed=11, staff=200, months=18)
    signals = {s["id"]: s for s in json.loads((tmp_path / "truth.json").read_text())["signals"]}
    decline = signals["readiness_decline"]["realised"]["compliance"][3:]  # window months
    assert min(decline[:6]) >= 0.9
    assert decline[-1] <= decline[5] - 0.15
    falls = signals["falls_linkage"]
    gaps = falls["realised"]["lagged_gap"]
    assert max(gaps[-6:]) > max(gaps[:3]) + 0.1
    assert sum(falls["realised"]["falls"][-6:]) > sum(falls["realised"]["falls"][:6])
    near_miss_dept = signals["near_miss_rise"]["department_id"]
    near = [
        r
        for r in rows(tmp_path, "incidents")
        if r["department_id"] == near_miss_dept and r["event_type"] == "near_miss"
    ]
    start = signals["near_miss_rise"]["start"]
    before = sum(r["discovered_date"][:7] < start for r in near) / 8
    after = sum(r["discovered_date"][:7] >= start for r in near) / 10
    assert after > before
