"""Harbor (the second simulator): determinism, manifest consistency, ids apart from the demo."""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from analytics.demo import catalog as demo_catalog
from analytics.imports.spec import KINDS
from analytics.imports.validate import check_rows, read_rows
from analytics.seed import seed_path
from analytics.simulate.harbor import generate
from analytics.simulate.harbor.catalogue import CATEGORIES, LEARN, ROLES, SKILLS, UNITS
from lrs.cli import main


@pytest.fixture(scope="module")
def hospital(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("harbor")
    generate(out, seed=11, staff=120, months=18)
    return out


def rows(directory: Path, kind: str) -> list[dict[str, str]]:
    with (directory / f"{kind}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def manifest(directory: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((directory / "manifest.json").read_text())
    return doc


def lines(directory: Path, name: str) -> list[str]:
    return (directory / name).read_text(encoding="utf-8").splitlines()


def digest(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def test_same_seed_same_bytes_other_seed_other_plan(tmp_path: Path) -> None:
    generate(tmp_path / "a", seed=4, staff=100, months=18)
    generate(tmp_path / "b", seed=4, staff=100, months=18)
    generate(tmp_path / "c", seed=5, staff=100, months=18)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    a, c = digest(tmp_path / "a"), digest(tmp_path / "c")
    assert a["statements.jsonl"] != c["statements.jsonl"]
    assert manifest(tmp_path / "a")["declines"] != manifest(tmp_path / "c")["declines"]


def test_every_file_passes_the_import_validators(hospital: Path) -> None:
    for kind in KINDS:
        data = (hospital / f"{kind}.csv").read_bytes()
        checked = check_rows(KINDS[kind], read_rows(KINDS[kind], data, "csv"))
        assert checked.errors == [], (kind, checked.errors[:3])
        assert checked.rows, kind


def test_ids_and_catalogue_are_disjoint_from_the_demo() -> None:
    demo_depts = {d.department_id for d in demo_catalog.DEPARTMENTS}
    demo_comps = {c.competency_id for c in demo_catalog.COMPETENCIES}
    assert demo_depts.isdisjoint(u.department_id for u in UNITS)
    assert set(demo_catalog.ROLES).isdisjoint(ROLES)
    assert demo_comps.isdisjoint(s.competency_id for s in SKILLS)
    assert demo_catalog.LMS not in LEARN and demo_catalog.MBOX_DOMAIN not in LEARN
    shipped_text = seed_path("category_competency").read_text(encoding="utf-8").splitlines()
    shipped = {r["category"] for r in csv.DictReader(shipped_text)}
    assert set(CATEGORIES) != shipped  # its own category mix


def test_manifest_matches_the_files(hospital: Path) -> None:
    doc = manifest(hospital)
    depts = {r["department_id"] for r in rows(hospital, "departments")}
    comps = {r["competency_id"] for r in rows(hospital, "competencies")}
    for d in doc["declines"]:
        assert d["department_id"] in depts and d["competency_id"] in comps
        assert 1 <= d["start_month"] <= doc["window"]["months"]
    crosswalk = {(r["category"], r["competency_id"]) for r in rows(hospital, "category_competency")}
    for pair in ("association", "null_pair"):
        assert (doc[pair]["category"], doc[pair]["competency_id"]) in crosswalk
    changes = {(r["competency_id"], r["change_date"]) for r in rows(hospital, "protocol_changes")}
    assert changes == {(c["competency_id"], c["change_date"]) for c in doc["protocol_changes"]}
    assert any(c["day_of_month"] >= 29 for c in doc["protocol_changes"])
    end = doc["window"]["end"]
    staff = rows(hospital, "staff")
    employed = Counter(
        r["department_id"] for r in staff if r["hire_date"] <= end and r["end_date"] in ("", None)
    )
    assert doc["sizes"] == dict(sorted(employed.items()))
    assert doc["tiny_unit"]["n_staff"] == 4
    census = {(r["department_id"], r["month"]) for r in rows(hospital, "census")}
    assert len(census) == len(depts) * doc["window"]["months"]
    planted = {tuple(c) for c in doc["planted_cells"]}
    assert planted.isdisjoint(tuple(c) for c in doc["in_control_cells"])
    assert doc["counts"]["statements"] == len(lines(hospital, "statements.jsonl"))


def test_cert_only_voids_late_arrivals_and_identities(hospital: Path) -> None:
    doc = manifest(hospital)
    (cert,) = doc["cert_only_competencies"]
    assert cert not in {r["competency_id"] for r in rows(hospital, "activity_competency")}
    assert any(r["competency_id"] == cert for r in rows(hospital, "certifications"))
    statements = [json.loads(x) for x in lines(hospital, "statements.jsonl")]
    arrivals = [datetime.fromisoformat(x) for x in lines(hospital, "arrivals.txt")]
    late = sum(
        1
        for s, a in zip(statements, arrivals, strict=True)
        if s["verb"]["id"].endswith("/passed") or s["verb"]["id"].endswith("/failed")
        if a - datetime.fromisoformat(s["timestamp"]) > timedelta(days=19)
    )
    assert late > 0 and late <= doc["late_arrivals"]
    voiding = {s["object"]["id"] for s in statements if s["verb"]["id"].endswith("/voided")}
    assert voiding == set(doc["voided_statement_ids"]) and voiding
    accounts = sum(1 for s in statements if "account" in s["actor"])
    assert 0 < accounts < len(statements)
    items = [s for s in statements if s["verb"]["id"].endswith("/answered")]
    assert items and all(
        s["object"]["id"].startswith(s["context"]["contextActivities"]["parent"][0]["id"] + "/")
        for s in items
    )
    assert date.fromisoformat(doc["window"]["end"]) == date(2026, 3, 31)


def test_cli_generate(tmp_path: Path) -> None:
    out = tmp_path / "cli"
    result = CliRunner().invoke(
        main, ["simulate", "generate", "--seed", "3", "--out", str(out), "--staff", "100"]
    )
    assert result.exit_code == 0, result.output
    assert (out / "manifest.json").exists() and "statements:" in result.output
