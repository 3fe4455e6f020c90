"""Roles, scopes and what each role may do (statements/people.py)."""

from __future__ import annotations

import pytest

from statements.people import Access, Scope, ScopeError, parse_roles


def test_scope_parse_and_text_round_trip() -> None:
    scope = Scope.parse(" department:D2, site:North ,service_line:Medicine,department:D2")
    assert scope == Scope(sites=("North",), service_lines=("Medicine",), departments=("D2",))
    assert Scope.parse(scope.as_text()) == scope
    assert Scope.parse("all") == Scope(all=True) and Scope(all=True).as_text() == "all"
    assert Scope.parse("").empty and not Scope.parse("all").empty
    assert Scope.from_dict(scope.as_dict()) == scope


@pytest.mark.parametrize("bad", ["ward:7", "department:", "D2", "site"])
def test_scope_parse_refuses_unknown_items(bad: str) -> None:
    with pytest.raises(ScopeError):
        Scope.parse(bad)


def test_roles_parse() -> None:
    assert parse_roles("admin, viewer,viewer") == ("viewer", "admin")
    with pytest.raises(ScopeError):
        parse_roles("viewer,boss")


def test_capabilities_by_role() -> None:
    unit = Scope(departments=("D1",))

    def caps(*roles: str) -> tuple[bool, bool, bool, bool, bool]:
        a = Access(roles, unit)
        return a.can_read, a.can_staff, a.can_clearance, a.can_retraining, a.can_admin

    assert caps("viewer") == (True, False, False, False, False)
    assert caps("staff") == (True, True, True, False, False)
    assert caps("educator") == (True, True, True, True, False)
    assert caps("auditor") == (True, False, True, False, False)
    assert caps("admin") == (True, True, True, True, True)
    assert not Access((), unit).can_read  # no role: no access
    assert not Access(("admin",), Scope()).can_read  # no unit: no access
    assert Access.from_dict(Access(("staff",), unit).as_dict()) == Access(("staff",), unit)
