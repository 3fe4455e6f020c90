"""Interoperation with other LRSs: forwarding destinations, their outbox cursors, provenance.

The HTTP side (delivery, pull-import, NDJSON files) lives in :mod:`lrs.interop`; this package
holds what is kept in the store and the pure rules (filters, backoff) it applies.
"""
