"""Talking to other LRSs: forwarding (:mod:`.forward`), pull-import (:mod:`.pull`), NDJSON files.

See ``docs/interop.md`` for the recipes.
"""
