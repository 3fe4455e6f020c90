"""The demo loader's pipeline: worker processes parse, validate, prepare and flatten ahead.

A batch of JSON lines becomes, in a worker process, what ``POST /xapi/statements`` would make
of it (:func:`statements.validate.validate_statements`, then
:func:`statements.ingest.prepare_batch`), plus its ``statements_all`` rows
(:func:`analytics.flatten.flatten_python`). The loading process only stores the records
(:func:`statements.ingest.store_batch`, one transaction) and appends the rows, after setting the
three columns only the store knows (``seq``, ``stored`` when the store raised it, ``voided``).
So each statement is parsed, validated, prepared and flattened exactly once, and on a 2-core
machine both cores do that work while the loading process writes.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import polars as pl

from analytics.demo.generate import STATEMENTS_FILE
from analytics.flatten import Flattened, flatten_python
from analytics.gcpause import gc_paused
from statements import jsonenc
from statements.errors import FieldError, StatementValidationError
from statements.ingest import prepare_batch
from statements.store.base import StatementRecord
from statements.validate import validate_statements

#: processes that parse, validate, prepare and flatten while the loader stores (one per core).
DEFAULT_WORKERS = max(1, min(2, os.cpu_count() or 1))
API_VERSION = "1.0.3"


#: the StatementRecord fields other than ``body``, in the order a pickled batch lists them.
_META = tuple(f.name for f in dataclasses.fields(StatementRecord) if f.name != "body")


@dataclass
class Prepared:
    """One batch ready to store: its records and their warehouse rows (same order).

    Pickled (to leave a worker) with the bodies as one compact JSON text
    (:mod:`statements.jsonenc`, the same values back) rather than as pickled dicts: 11 instead
    of 32 µs per statement in the worker, and no slower to read back.
    """

    records: list[StatementRecord]
    flat: Flattened

    def __getstate__(self) -> dict[str, Any]:
        meta = [tuple(getattr(r, name) for name in _META) for r in self.records]
        bodies = jsonenc.dumps([r.body for r in self.records])
        return {"bodies": bodies, "meta": meta, "flat": self.flat}

    def __setstate__(self, state: dict[str, Any]) -> None:
        bodies = jsonenc.loads(state["bodies"])
        self.records = [
            StatementRecord(body=body, **dict(zip(_META, meta, strict=True)))
            for body, meta in zip(bodies, state["meta"], strict=True)
        ]
        self.flat = state["flat"]


Failure = tuple[str, list[tuple[str, str, str]]]


def line_batches(directory: Path, size: int) -> Iterator[list[str]]:
    """The non-blank lines of ``statements.jsonl`` in lists of ``size``."""
    with (directory / STATEMENTS_FILE).open(encoding="utf-8") as handle:
        lines = (line for line in handle if line.strip())
        while chunk := list(islice(lines, size)):
            yield chunk


def prepare_lines(
    lines: list[str], secret: bytes, authority: dict[str, Any]
) -> tuple[Prepared | None, Failure | None]:
    """Parse, validate, prepare and flatten one batch (run in a worker): (prepared, failure).

    A validation failure comes back as plain data (exception objects do not always survive
    pickling) and is raised again in the loading process by :func:`unwrap`.
    """
    with gc_paused(collect=True):
        try:
            valid = validate_statements([json.loads(line) for line in lines], API_VERSION)
        except StatementValidationError as exc:
            return None, (exc.message, [(e.path, e.rule, e.message) for e in exc.errors])
        now_us = int(datetime.now(UTC).timestamp() * 1_000_000)
        records = prepare_batch(valid, authority=authority, api_version=API_VERSION, now_us=now_us)
        # per statement: with the collector paused it costs 15 µs/statement here, the
        # vectorised DuckDB path 26 (it pays off on a refresh's larger batches, not in a worker)
        return Prepared(records, flatten_python(records, secret)), None


def unwrap(result: tuple[Prepared | None, Failure | None]) -> Prepared:
    """The prepared batch, or the worker's validation failure raised here."""
    prepared, failure = result
    if failure is not None:
        raise StatementValidationError(failure[0], [FieldError(*e) for e in failure[1]])
    assert prepared is not None
    return prepared


def prepared_batches(
    directory: Path,
    size: int,
    secret: bytes,
    authority: dict[str, Any],
    workers: int = DEFAULT_WORKERS,
) -> Iterator[Prepared]:
    """Every batch of ``directory`` prepared, in file order.

    With ``workers`` > 0 that many processes work a few batches ahead of the caller; 0 does
    the work in this process.
    """
    batches = line_batches(directory, size)
    if workers <= 0:
        for lines in batches:
            yield unwrap(prepare_lines(lines, secret, authority))
        return
    context = multiprocessing.get_context("spawn")  # no fork of open stores or threads
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Future[tuple[Prepared | None, Failure | None]]] = deque()
        for lines in batches:
            pending.append(pool.submit(prepare_lines, lines, secret, authority))
            if len(pending) > workers + 1:
                yield unwrap(pending.popleft().result())
        while pending:
            yield unwrap(pending.popleft().result())


def settle(flat: Flattened, fresh: Sequence[StatementRecord]) -> pl.DataFrame:
    """The batch's rows for the records the store took, with the store's seq/stored/voided.

    ``fresh`` is the records :func:`statements.ingest.store_batch` inserted, in batch order
    (fewer than flattened when a resumed load meets statements stored before).
    """
    frame = flat.frame
    if frame.height != len(fresh):
        frame = frame.filter(pl.col("statement_id").is_in([r.id for r in fresh]))
    stored = pl.Series("stored", [r.stored_us for r in fresh], dtype=pl.Int64)
    return frame.with_columns(
        pl.Series("seq", [r.seq for r in fresh], dtype=pl.Int64),
        stored.cast(pl.Datetime("us", "UTC")),
        pl.Series("voided", [bool(r.voided) for r in fresh], dtype=pl.Boolean),
    )
