"""A seeded synthetic hospital with planted signals (ANALYTICS.md §10).

``generate(out, seed=...)`` writes every import CSV of §2-3, ``statements.jsonl`` (cmi5-shaped
xAPI 1.0.3 statements) and ``truth.json`` (the planted signals and their realised series);
``iter_statements(out)`` streams the statements back.
"""

from __future__ import annotations

from analytics.demo.generate import Summary, generate, iter_statements

__all__ = ["Summary", "generate", "iter_statements"]
