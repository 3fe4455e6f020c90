"""User SQL on the warehouse: one read-only SELECT, no file or network access, capped.

Layers of defence (DuckDB itself calls its settings defence in depth, not a sandbox, so the
HTTP endpoint stays admin-scoped):

1. the text must parse (``duckdb.extract_statements``) as exactly one ``SELECT`` statement;
2. it runs in a fresh in-memory DuckDB that attaches the published warehouse ``READ_ONLY``
   (the identity file only when explicitly allowed), then sets
   ``enable_external_access=false`` and ``lock_configuration=true`` (no ``read_csv`` of a file,
   no ``COPY``, no ``ATTACH``, no ``SET``), with memory and thread limits;
3. a timer calls ``interrupt()`` after ``timeout_s``; at most ``row_cap`` rows are returned.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from analytics.warehouse import Warehouse
from statements.errors import BadRequest, FieldError
from statements.safejson import check_text

FORMATS = ("json", "csv", "parquet")
SANDBOX_CONFIG = {"memory_limit": "1GB", "threads": "2"}


class QueryTimeout(BadRequest):
    """The query ran past the time limit and was stopped (400)."""


@dataclass
class QueryResult:
    """Columns, rows (at most the cap) and whether rows were cut off."""

    columns: list[str]
    table: pa.Table
    truncated: bool

    def render(self, fmt: str) -> bytes:
        """The result as ``json``, ``csv`` or ``parquet`` bytes."""
        if fmt == "parquet":
            sink = io.BytesIO()
            pq.write_table(self.table, sink)
            return sink.getvalue()
        rows = self.table.to_pylist()
        if fmt == "csv":
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(self.columns)
            for row in rows:
                writer.writerow([_csv_cell(row[c]) for c in self.columns])
            return out.getvalue().encode()
        doc = {"columns": self.columns, "rows": rows, "truncated": self.truncated}
        return json.dumps(doc, default=_json_default).encode()


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _csv_cell(value: Any) -> Any:
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return "" if value is None else value


def _refuse(message: str, rule: str) -> BadRequest:
    return BadRequest(message, [FieldError("sql", rule, message)])


def check_sql(sql: str) -> str:
    """The single SELECT statement in ``sql``, or ``BadRequest`` saying what is refused."""
    check_text(sql, "sql")
    if not sql or not sql.strip():
        raise _refuse("sql is required", "required")
    try:
        parsed = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise _refuse(f"sql does not parse: {exc}", "syntax") from exc
    if len(parsed) != 1:
        raise _refuse(f"exactly one statement is allowed, got {len(parsed)}", "one-statement")
    kind = parsed[0].type
    if kind != duckdb.StatementType.SELECT:
        raise _refuse(f"only SELECT is allowed, got {kind.name}", "select-only")
    return str(parsed[0].query)


def run_sql(
    warehouse: Warehouse,
    sql: str,
    *,
    row_cap: int = 10_000,
    timeout_s: float = 10.0,
    identity: bool = False,
) -> QueryResult:
    """Run one checked SELECT on a locked, read-only view of the warehouse."""
    query = check_sql(sql)
    with warehouse.read(identity=identity, config=dict(SANDBOX_CONFIG)) as conn:
        conn.execute("SET enable_external_access = false")
        conn.execute("SET lock_configuration = true")
        timer = threading.Timer(timeout_s, conn.interrupt)
        timer.start()
        try:
            reader = conn.sql(query).to_arrow_reader(min(row_cap + 1, 10_000))
            batches, count = [], 0
            for batch in reader:
                batches.append(batch)
                count += batch.num_rows
                if count > row_cap:
                    break
        except duckdb.InterruptException as exc:
            raise QueryTimeout(
                f"query stopped after the time limit of {timeout_s:g} s",
                [FieldError("sql", "time-limit", f"ran longer than {timeout_s:g} s")],
            ) from exc
        except duckdb.Error as exc:
            raise _refuse(f"query failed: {exc}", "execution") from exc
        finally:
            timer.cancel()
        table = pa.Table.from_batches(batches, schema=reader.schema)
    truncated = table.num_rows > row_cap
    return QueryResult(list(table.column_names), table.slice(0, row_cap), truncated)
