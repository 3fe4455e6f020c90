"""The example statements in tests/data/statements: valid/*.json pass, invalid/<rule>.json fail.

An invalid file is ``{"path": <JSON path>, "statement": {...}, "version": <optional>}``; the
file name is the rule that must be reported at that path.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.statements.helpers import assert_error, assert_valid

DATA = Path(__file__).resolve().parent.parent / "data" / "statements"
VALID = sorted((DATA / "valid").glob("*.json"))
INVALID = sorted((DATA / "invalid").glob("*.json"))


def test_data_files_exist() -> None:
    assert len(VALID) >= 5 and len(INVALID) >= 15


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_examples(path: Path) -> None:
    assert_valid(json.loads(path.read_text()), "2.0.0")


@pytest.mark.parametrize(
    "path", [p for p in VALID if not p.stem.endswith("_2_0")], ids=lambda p: p.stem
)
def test_valid_examples_in_a_batch_under_1_0_3(path: Path) -> None:
    assert_valid([json.loads(path.read_text())], "1.0.3")


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_examples(path: Path) -> None:
    case = json.loads(path.read_text())
    assert_error(case["statement"], case["path"], path.stem, case.get("version", "2.0.0"))
