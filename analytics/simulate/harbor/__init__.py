"""Harbor Health: a second synthetic hospital with planted truth recorded in ``manifest.json``.

Designed apart from :mod:`analytics.demo` (own catalogue, ids, incident categories, crosswalk
and generation logic). :func:`generate` writes a directory of import CSVs, ``statements.jsonl``
and ``manifest.json``; :func:`analytics.simulate.load.load_simulated` loads it.
"""

from analytics.simulate.harbor.generate import MANIFEST_FILE, generate

__all__ = ["MANIFEST_FILE", "generate"]
