"""Export the warehouse as Parquet that any engine (DuckDB, Polars, Spark, Trino) can read.

Layout under the target directory: ``statements/month=YYYY-MM/*.parquet`` (the ``statements``
view: voided and voiding statements removed, partitioned by the month of ``timestamp``), then
one ``<table>.parquet`` per other table. ``statements_all`` and ``etl_state`` are internal and
the identity file is never exported. Raw ``incidents`` rows are not exported and aggregate
incident tables have counts under 11 suppressed (:mod:`analytics.suppression`).
"""

from __future__ import annotations

from pathlib import Path

from analytics.suppression import ROW_LEVEL, suppressed_select
from analytics.warehouse import Warehouse, quote_path

INTERNAL = frozenset({"statements_all", "etl_state"})


def export_parquet(warehouse: Warehouse, directory: Path) -> list[str]:
    """Write the Parquet files; return the relative names written (tables and the partition)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    with warehouse.read() as conn:
        target = directory / "statements"
        conn.execute(
            "COPY (SELECT *, strftime(\"timestamp\", '%Y-%m') AS month FROM statements) "
            f"TO {quote_path(target)} (FORMAT parquet, PARTITION_BY (month), "
            "OVERWRITE_OR_IGNORE true)"
        )
        written.append("statements/")
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_catalog = 'wh' AND table_type = 'BASE TABLE' ORDER BY table_name"
        ).fetchall()
        for (name,) in tables:
            if name in INTERNAL or name in ROW_LEVEL:
                continue
            path = directory / f"{name}.parquet"
            source = f'"{name}"'
            if name.startswith("incident"):  # small-cell suppression (analytics.suppression)
                cols = [d[0] for d in conn.execute(f'SELECT * FROM "{name}" LIMIT 0').description]
                source = f"({suppressed_select(name, cols)})"
            conn.execute(f"COPY {source} TO {quote_path(path)} (FORMAT parquet)")
            written.append(path.name)
    return written
