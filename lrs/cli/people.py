"""``lrs people …``: the people who sign in to the dashboards (apart from API credentials).

Every change is audited as ``cli:<user>``. Passwords are generated and printed once (only the
argon2 hash is stored) unless ``--password-stdin`` reads one; ``--totp`` sets up a TOTP secret
and prints the ``otpauth://`` URI for an authenticator app, once.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import Any

import click

from lrs.cli.actor import audit_cli
from lrs.cli.core import _settings, _store, main
from lrs.extensions import system_clock_us
from lrs.people.admin import find, new_person
from lrs.people.passwords import hash_password, new_password, new_totp_secret, totp_uri
from statements.errors import Conflict
from statements.people import Access, Person, Scope, ScopeError, parse_roles


@main.group()
def people() -> None:
    """People who sign in to the dashboards: roles, unit scope, password, TOTP."""


def _roles(raw: str) -> tuple[str, ...]:
    try:
        return parse_roles(raw)
    except ScopeError as exc:
        raise click.BadParameter(str(exc), param_hint="--roles") from exc


def _scope(raw: str) -> Scope:
    try:
        return Scope.parse(raw)
    except ScopeError as exc:
        raise click.BadParameter(str(exc), param_hint="--scope") from exc


def _password(from_stdin: bool) -> tuple[str, bool]:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n"), False
    return new_password(), True


def _person(store: Any, who: str) -> Person:
    found = find(store, who)
    if found is None:
        raise click.ClickException(f"no person {who!r} (give an id or an email)")
    return found


def _show_secrets(person: Person, password: str | None, totp: str | None) -> None:
    if password is not None:
        click.echo(f"password: {password}   (shown once; only its hash is kept)")
    if totp is not None:
        click.echo(f"totp: {totp_uri(totp, person.email)}   (scan once in an authenticator app)")


@people.command("add")
@click.option("--email", required=True, help="Sign-in email (unique).")
@click.option("--name", "name", required=True, help="Display name.")
@click.option("--roles", required=True, help="Comma list: viewer, staff, educator, auditor, admin.")
@click.option("--scope", required=True, help="all, or site:X,service_line:Y,department:Z …")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@click.option("--totp", is_flag=True, help="Require a TOTP code too (prints the otpauth URI).")
def add(email: str, name: str, roles: str, scope: str, password_stdin: bool, totp: bool) -> None:
    """Add a person with a local password."""
    access = Access(_roles(roles), _scope(scope))
    password, generated = _password(password_stdin)
    store = _store(_settings())
    try:
        person = new_person(email, name, access, system_clock_us(), password=password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if totp:
        person = dataclasses.replace(person, totp_secret=new_totp_secret())
    try:
        store.add_person(person)  # type: ignore[attr-defined]
    except Conflict as exc:
        raise click.ClickException(f"a person with email {person.email} exists") from exc
    audit_cli(store, "people.add", _summary(person))
    click.echo(f"added {person.id} {person.email}")
    _show_secrets(person, password if generated else None, person.totp_secret)


def _summary(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "email": person.email,
        "roles": list(person.access.roles),
        "scope": person.access.scope.as_text(),
        "disabled": person.disabled,
        "totp": person.totp_secret is not None,
    }


@people.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_people(as_json: bool) -> None:
    """Everyone, oldest first (no hashes or secrets)."""
    for person in _store(_settings()).list_people():  # type: ignore[attr-defined]
        row = {"name": person.display_name, **_summary(person)}
        if as_json:
            click.echo(json.dumps(row, sort_keys=True))
        else:
            flags = ("disabled " if person.disabled else "") + ("totp" if row["totp"] else "")
            click.echo(
                f"{person.id}\t{person.email}\t{person.display_name}\t"
                f"{','.join(person.access.roles) or '-'}\t{row['scope'] or '-'}\t{flags}".rstrip()
            )


def _update(who: str, action: str, change: dict[str, Any]) -> tuple[Any, Person]:
    store = _store(_settings())
    person = dataclasses.replace(_person(store, who), **change)
    store.update_person(person)  # type: ignore[attr-defined]
    store.end_person_sessions(person.id)  # type: ignore[attr-defined]
    audit_cli(store, action, _summary(person))
    return store, person


@people.command("set-roles")
@click.argument("who")
@click.argument("roles")
def set_roles(who: str, roles: str) -> None:
    """Replace the roles of WHO (id or email); their open sessions end."""
    store = _store(_settings())
    access = dataclasses.replace(_person(store, who).access, roles=_roles(roles))
    _, person = _update(who, "people.set_roles", {"access": access})
    click.echo(f"{person.email}: roles {','.join(person.access.roles) or '(none: no access)'}")


@people.command("set-scope")
@click.argument("who")
@click.argument("scope")
def set_scope(who: str, scope: str) -> None:
    """Replace the unit scope of WHO (``all`` or site:X,service_line:Y,department:Z)."""
    store = _store(_settings())
    access = dataclasses.replace(_person(store, who).access, scope=_scope(scope))
    _, person = _update(who, "people.set_scope", {"access": access})
    click.echo(f"{person.email}: scope {person.access.scope.as_text() or '(none: no unit)'}")


@people.command("reset-password")
@click.argument("who")
@click.option("--password-stdin", is_flag=True, help="Read the new password from stdin.")
@click.option("--totp/--no-totp", default=None, help="Set up a new TOTP secret, or remove it.")
def reset_password(who: str, password_stdin: bool, totp: bool | None) -> None:
    """Give WHO a new password (printed once); their open sessions end."""
    password, generated = _password(password_stdin)
    try:
        change: dict[str, Any] = {"password_hash": hash_password(password)}
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if totp is not None:
        change["totp_secret"] = new_totp_secret() if totp else None
    _, person = _update(who, "people.reset_password", change)
    click.echo(f"{person.email}: new password set")
    _show_secrets(person, password if generated else None, change.get("totp_secret"))


@people.command("disable")
@click.argument("who")
@click.option("--enable", is_flag=True, help="Enable again instead.")
def disable(who: str, enable: bool) -> None:
    """Disable WHO (sign-in refused, open sessions end), or ``--enable`` again."""
    _, person = _update(
        who, "people.enable" if enable else "people.disable", {"disabled": not enable}
    )
    click.echo(f"{person.email}: {'enabled' if enable else 'disabled'}")


@people.command("remove")
@click.argument("who")
def remove(who: str) -> None:
    """Remove WHO (id or email); their open sessions end."""
    store = _store(_settings())
    person = _person(store, who)
    store.remove_person(person.id)  # type: ignore[attr-defined]
    audit_cli(store, "people.remove", {"id": person.id, "email": person.email})
    click.echo(f"removed {person.id} {person.email}")
