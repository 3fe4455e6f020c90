"""Imports of the hospital's own data (ANALYTICS.md §2-3): explicit schemas, row errors, upserts.

``spec`` declares the kinds, ``validate`` reads and checks a file, ``load`` upserts it.
"""
