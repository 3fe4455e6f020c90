"""Progress of long CLI steps: a bar on a terminal, else a log line at least every few seconds.

Without a terminal (a log file, a container, CI) a :class:`Steps` reporter prints a line when a
step starts and ends, and while it runs a line with the step, count, rate and ETA whenever
``every`` seconds have passed since the last one. A heartbeat thread checks every second, so a
step that makes no countable progress for a while (one long SQL statement, the model fit)
still prints within ``every`` + 1 seconds. The clock and the output are injected for tests.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import click

Clock = Callable[[], float]
Emit = Callable[[str], None]
Update = Callable[[int], None]

#: seconds between two log lines of a running step without a terminal (the issue asks <= 10).
LOG_EVERY_S = 5.0


def _duration(seconds: float) -> str:
    whole = max(0, round(seconds))
    return f"{whole // 60} min {whole % 60:02d} s" if whole >= 60 else f"{whole} s"


@dataclass
class Step:
    """One running step: what it counts, how far it is, when it started and last spoke."""

    name: str
    total: int
    unit: str
    started: float
    last_line: float
    done: int = 0

    def line(self, now: float) -> str:
        """``name: done/total unit (pct), rate/s, ETA t`` (what is known so far)."""
        took = now - self.started
        text = f"{self.name}: {self.done}"
        if self.total:
            text += f"/{self.total} {self.unit} ({100 * self.done / self.total:.0f} %)"
        else:
            text += f" {self.unit}"
        rate = self.done / took if took > 0 else 0.0
        text += f", {rate:.0f}/s" if rate >= 1 else f", {rate:.2f}/s"
        if self.total and rate > 0:
            text += f", ETA {_duration((self.total - self.done) / rate)}"
        return text + f", {_duration(took)} elapsed"


class Steps:
    """Reports a sequence of steps (``with steps.step("store", total) as update: …``)."""

    def __init__(
        self,
        *,
        interactive: bool,
        clock: Clock = time.monotonic,
        emit: Emit = click.echo,
        every: float = LOG_EVERY_S,
    ) -> None:
        self.interactive, self.clock, self.emit, self.every = interactive, clock, emit, every
        self.current: Step | None = None
        self.timings: dict[str, float] = {}
        self._lock = threading.Lock()

    def tick(self) -> None:
        """Print the running step's line when ``every`` seconds passed since its last line."""
        with self._lock:
            step, now = self.current, self.clock()
            if step is None or self.interactive or now - step.last_line < self.every:
                return
            step.last_line = now
            self.emit(step.line(now))

    def _update(self, step: Step, bar: Any, count: int) -> None:
        step.done += count
        if bar is not None:
            bar.update(count)
        self.tick()

    @contextlib.contextmanager
    def step(
        self, name: str, total: int = 0, unit: str = "steps"
    ) -> Iterator[Callable[[int], None]]:
        """Run one step; yields ``update(count)``. Its duration lands in ``timings``."""
        now = self.clock()
        step = Step(name, total, unit, now, now)
        with contextlib.ExitStack() as stack:
            bar = None
            if self.interactive:
                bar = stack.enter_context(click.progressbar(length=max(total, 1), label=name))
            else:
                self.emit(f"{name}: started" + (f" ({total} {unit})" if total else ""))
            with self._lock:
                self.current = step
            try:
                yield lambda count: self._update(step, bar, count)
            finally:
                with self._lock:
                    self.current = None
        took = self.clock() - step.started
        self.timings[name] = took
        self.emit(f"{name}: done in {took:.1f} s" + (f" ({step.done} {unit})" if total else ""))

    @contextlib.contextmanager
    def heartbeat(self, period: float = 1.0) -> Iterator[None]:
        """Call :meth:`tick` every ``period`` seconds from a daemon thread inside the block."""
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(period):
                self.tick()

        thread = threading.Thread(target=beat, name="progress-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
