"""The same-run baselines: a trivial Flask app (ingest) and DuckDB's ``read_json`` (refresh)."""
