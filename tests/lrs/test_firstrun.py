"""First run: when the demo hospital is offered, and that nothing ever waits without a terminal."""

from __future__ import annotations

import pytest

from lrs.cli.firstrun import wants_demo


def test_lrs_demo_1_loads_without_asking(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("click.confirm", lambda *a, **k: pytest.fail("must not ask"))
    assert wants_demo({"LRS_DEMO": "1"}, interactive=True) is True


def test_lrs_demo_0_never_offers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("click.confirm", lambda *a, **k: pytest.fail("must not ask"))
    assert wants_demo({"LRS_DEMO": "0"}, interactive=True) is False


def test_no_terminal_never_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("click.confirm", lambda *a, **k: pytest.fail("must not ask"))
    assert wants_demo({}, interactive=False) is False


def test_terminal_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = []
    monkeypatch.setattr("click.confirm", lambda *a, **k: asked.append(a) or True)
    assert wants_demo({}, interactive=True) is True
    assert asked
