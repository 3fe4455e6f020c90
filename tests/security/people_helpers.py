"""Helpers for the people tests: an app over the planted warehouse, people, password sign-in."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from config.settings import Settings
from lrs.app import create_app
from lrs.extensions import services
from lrs.people.admin import new_person
from statements.people import Access, Person, Scope

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery"


def people_app(store: Any, clock: Any, tmp_path: Path, warehouse: Path, **settings: Any) -> Flask:
    """The LRS app over ``store`` reading the planted ``warehouse``."""
    base = Settings(
        data_dir=tmp_path, secret_key="test-secret", warehouse_path=str(warehouse), **settings
    )
    return create_app(base, store=store, clock=clock)


def add_person(
    app: Flask, email: str, roles: tuple[str, ...], scope: Scope, **extra: Any
) -> Person:
    """Store a person with :data:`PASSWORD`."""
    person = new_person(email, email.split("@")[0], Access(roles, scope), 1, password=PASSWORD)
    if extra:
        import dataclasses

        person = dataclasses.replace(person, **extra)
    services(app).store.add_person(person)
    return person


def csrf(client: FlaskClient, path: str = "/dashboards/sign-in") -> str:
    """The CSRF token of the form at ``path``."""
    found = CSRF.search(client.get(path).get_data(as_text=True))
    assert found is not None, path
    return found.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD, code: str = "") -> Any:
    """Post the people's sign-in form; the response."""
    data = {"email": email, "password": password, "code": code, "csrf_token": csrf(client)}
    return client.post("/dashboards/sign-in", data=data)
