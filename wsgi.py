"""Gunicorn entry point: ``gunicorn -c config/gunicorn.conf.py wsgi:app``."""

from lrs.app import create_app

app = create_app()
