"""The ``lrs`` group loads its heavy command modules (they import the analytics stack:
DuckDB, Polars, SciPy, statsmodels — about 230 MB and 10 s) only when a command needs them.

Light modules are imported by :mod:`lrs.cli` as before. A command name the group does not know
yet, and any listing (``lrs --help``), imports the heavy modules first, so every command is
still found; ``lrs statements import`` and friends simply never pay for analytics.
"""

from __future__ import annotations

import importlib

import click

HEAVY = (
    "lrs.cli.analytics",
    "lrs.cli.analytics.models",
    "lrs.cli.demo",
    "lrs.cli.erase",
    "lrs.cli.simulate",
    "lrs.cli.firstrun",
    "lrs.cli.worker",
    "lrs.cli.retraining",
)


class LazyGroup(click.Group):
    """A click group that imports :data:`HEAVY` on first need."""

    def _load_heavy(self) -> None:
        for module in HEAVY:
            importlib.import_module(module)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, loading the heavy modules when it is not among the light ones."""
        found = super().get_command(ctx, cmd_name)
        if found is None:
            self._load_heavy()
            found = super().get_command(ctx, cmd_name)
        return found

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name (loads the heavy modules)."""
        self._load_heavy()
        return super().list_commands(ctx)
