"""Without a terminal, no step of the first run is silent for more than 10 seconds.

Time is a fake clock advanced by the simulated work; the heartbeat thread's job (calling
``tick`` every second) is done by the test, so nothing sleeps.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest

from analytics.demo.generate import GENERATE_STEPS, GENERATOR_VERSION
from analytics.demo.load import IMPORT_ORDER
from config.settings import Settings
from lrs.cli.demo.run import first_run
from lrs.cli.progress import LOG_EVERY_S, Steps


class FakeTime:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


END = "2025-06-30"


def _steps(clock: FakeTime, lines: list[tuple[float, str]]) -> Steps:
    return Steps(interactive=False, clock=clock, emit=lambda text: lines.append((clock.now, text)))


def _work(steps: Steps, clock: FakeTime, seconds: float) -> None:
    """``seconds`` of work during which the heartbeat fires once a second."""
    for _ in range(int(seconds)):
        clock.now += 1.0
        steps.tick()


def _max_gap(lines: list[tuple[float, str]]) -> float:
    times = [t for t, _ in lines]
    return max(b - a for a, b in itertools.pairwise(times))


def test_a_step_without_countable_progress_still_logs() -> None:
    clock, lines = FakeTime(), []
    steps = _steps(clock, lines)
    with steps.step("models", 3):
        _work(steps, clock, 95)  # one long computation, no update() at all
    assert len(lines) >= 95 / LOG_EVERY_S
    assert _max_gap(lines) <= 10
    assert lines[-1][1] == "models: done in 95.0 s (0 steps)"


def test_log_lines_carry_step_count_rate_and_eta() -> None:
    clock, lines = FakeTime(), []
    steps = _steps(clock, lines)
    with steps.step("statements", 1000, "statements") as update:
        for _ in range(40):
            clock.now += 0.5
            update(10)
            steps.tick()
    running = [text for _, text in lines if "ETA" in text]
    assert running, lines
    assert re.fullmatch(
        r"statements: \d+/1000 statements \(\d+ %\), 20/s, ETA \d+ s, \d+ s elapsed", running[0]
    ), running[0]
    assert lines[0][1] == "statements: started (1000 statements)"
    assert lines[-1][1] == "statements: done in 20.0 s (400 statements)"
    assert steps.timings == {"statements": 20.0}


def test_the_terminal_gets_a_bar_not_log_lines() -> None:
    clock, lines = FakeTime(), []
    steps = Steps(interactive=True, clock=clock, emit=lambda text: lines.append((clock.now, text)))
    with steps.step("statements", 100) as update:
        clock.now += 30
        update(100)
        steps.tick()
    assert [text for _, text in lines] == ["statements: done in 30.0 s (100 steps)"]


def _fake_phases(monkeypatch: pytest.MonkeyPatch, steps: Steps, clock: FakeTime) -> None:
    """Replace the heavy phases of the first run by fakes that take simulated time."""

    def generate(out: Path, *, seed: int, progress: Any, **_: Any) -> None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "statements.jsonl").write_text("")
        truth = {"seed": seed, "generator_version": GENERATOR_VERSION, "window": {"end": END}}
        (out / "truth.json").write_text(json.dumps({**truth, "counts": {"statements": 240_000}}))
        for _ in range(GENERATE_STEPS):
            _work(steps, clock, 3)
            progress(1)

    def load_imports(*args: Any) -> None:
        for _ in IMPORT_ORDER:
            _work(steps, clock, 1)
            args[-1](1)

    def load_all_statements(*args: Any, progress: Any) -> tuple[int, int]:
        for _ in range(48):
            _work(steps, clock, 2)
            progress(5000)
        return 240_000, 240_000

    def run_models(*args: Any, progress: Any) -> None:
        _work(steps, clock, 40)  # the fit reports nothing for 40 s
        progress(3)

    for name, fake in [
        ("generate", generate),
        ("load_imports", load_imports),
        ("load_all_statements", load_all_statements),
        ("run_models", run_models),
    ]:
        monkeypatch.setattr(f"lrs.cli.demo.run.{name}", fake)
    monkeypatch.setattr(Steps, "heartbeat", lambda self: contextlib.nullcontext())


def test_no_step_of_the_first_run_is_silent_for_10_s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock, lines = FakeTime(), []
    steps = _steps(clock, lines)
    _fake_phases(monkeypatch, steps, clock)
    settings = Settings.from_env({"LRS_DATA_DIR": str(tmp_path)})
    first_run(settings, steps)
    assert clock.now - 1000 >= 150  # the simulated first run took minutes
    assert _max_gap(lines) <= 10, lines
    names = [text.split(":")[0] for _, text in lines if text.endswith("started") or "(" in text]
    assert set(names) == {
        "generate",
        "imports",
        "statements (validate, store, warehouse)",
        "models",
    }
    assert set(steps.timings) == set(names)
