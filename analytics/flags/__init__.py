"""Readiness flags per department x competency x month; see :mod:`analytics.flags.compute`."""

from __future__ import annotations

from analytics.flags.compute import FlagSettings, compute_flags

__all__ = ["FlagSettings", "compute_flags"]
