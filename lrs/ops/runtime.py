"""What a gunicorn worker does once its app is loaded, before it serves the first request."""

from __future__ import annotations

import gc

from statements.fields import is_iri, is_uri


def settle_worker() -> None:
    """Compile the IRI grammars and freeze the start-up heap out of the garbage collector.

    - ``rfc3987`` compiles its IRI and URI patterns on first use (about 50 ms of CPU), and
      every request thread that races into that first use compiles its own copy; doing it here
      keeps it out of the first requests.
    - The objects made while the app loaded (modules, schemas, routes) live as long as the
      worker. :func:`gc.freeze` moves them to the permanent generation, so each full
      collection, which batches of parsed statements trigger every few dozen requests, no
      longer walks them (about 30 ms per collection before).
    """
    is_iri("urn:x")
    is_uri("urn:x")
    gc.collect()
    gc.freeze()
