"""What the page header says about the signed-in viewer: roles and units in human words.

A person's scope is stored as codes (``department:D2``); the header names the units instead
("Ward B, Ward C", "all units"), from the warehouse's ``departments`` table. Long lists are cut
to a few names and "and N more"; the full list stays in the ``title`` and in the filter bar.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass

from dashboards.access import Viewer
from dashboards.data import NoData, Reader
from statements.people import Scope

#: names shown in the header before "and N more"
SHOWN = 2


@dataclass(frozen=True)
class ViewerLabel:
    """The header's words: ``short`` on the page, ``full`` as its tooltip."""

    access: str
    units: str
    full: str


def unit_names(scope: Scope, departments: Mapping[str, str]) -> list[str]:
    """The units of ``scope`` in words: sites, service lines, then departments by name."""
    if scope.all:
        return ["all units"]
    names = [f"{s} site" for s in scope.sites]
    names += [f"{s} service line" for s in scope.service_lines]
    names += sorted(departments.get(d) or d for d in scope.departments)
    return names


def shorten(names: list[str], shown: int = SHOWN) -> str:
    """The first ``shown`` names and "and N more" for the rest ("" for none)."""
    if len(names) <= shown + 1:
        return ", ".join(names)
    return f"{', '.join(names[:shown])} and {len(names) - shown} more"


def department_names(r: Reader, ids: tuple[str, ...]) -> dict[str, str]:
    """``department_id -> name`` for ``ids`` (empty when the warehouse has no departments)."""
    if not ids or not r.has("departments"):
        return {}
    marks = ", ".join("?" * len(ids))
    rows = r.rows(
        f"SELECT department_id, name FROM departments WHERE department_id IN ({marks})", ids
    )
    return {str(i): str(n) for i, n in rows if n}


def viewer_label(
    viewer: Viewer, reader: Callable[[], AbstractContextManager[Reader]] | None = None
) -> ViewerLabel:
    """Roles (or the credential's scope) and the units, named from the warehouse when it opens."""
    if viewer.access is None:
        access = "staff-level" if viewer.can_staff else "aggregates"
        return ViewerLabel(access, "all units", f"{access}; all units")
    names: dict[str, str] = {}
    if reader is not None and viewer.scope.departments:
        try:
            with reader() as r:
                names = department_names(r, viewer.scope.departments)
        except NoData:
            names = {}
    units = unit_names(viewer.scope, names) or ["no units"]
    access = ", ".join(viewer.access.roles)
    return ViewerLabel(access, shorten(units), f"{access}; {', '.join(units)}")
