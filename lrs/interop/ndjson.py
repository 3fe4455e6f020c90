"""Bulk NDJSON: one statement per line, attachments as files beside, streamed both ways.

Export walks the store in ``seq`` order (voided statements and voiding statements included)
and writes each body exactly as stored. Attachment parts go to a directory as ``<sha2>``
(bytes) and ``<sha2>.type`` (Content-Type). Memory stays constant: one batch at a time.

Import reads line by line, stores chunks through :class:`lrs.interop.importer.Importer`, and
after every committed chunk writes a checkpoint (byte offset, line number, counts) so that a
killed import resumes where it stopped; each refused line is written to the report (NDJSON:
line number, id, message, the broken rules).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from lrs.interop.checkpoint import JsonCheckpoint
from lrs.interop.importer import Importer, Rejected, attachment_hashes
from statements.store.base import Attachment
from statements.store.migrate import MOD, ids_checksum

Progress = Callable[[int], None]


@dataclass
class ExportResult:
    """What an export wrote."""

    statements: int = 0
    attachments: int = 0
    checksum: str = "0" * 64


def export_ndjson(
    store: Any,
    out: IO[bytes],
    attachments_dir: Path | None,
    batch_size: int = 2000,
    progress: Progress | None = None,
) -> ExportResult:
    """Write every statement to ``out`` (and attachment parts to ``attachments_dir``)."""
    result = ExportResult()
    total = 0
    for batch in store.iter_since(0, batch_size):
        out.write(
            b"".join(
                json.dumps(r.body, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
                for r in batch
            )
        )
        result.statements += len(batch)
        total = (total + int(ids_checksum(r.id for r in batch), 16)) % MOD
        if attachments_dir is not None:
            result.attachments += _write_attachments(store, batch, attachments_dir)
        if progress is not None:
            progress(len(batch))
    out.flush()
    result.checksum = f"{total:064x}"
    return result


def _write_attachments(store: Any, batch: list[Any], folder: Path) -> int:
    wanted = [h for r in batch for h in attachment_hashes(r.body) if not (folder / h).exists()]
    if not wanted:
        return 0
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for sha, att in store.get_attachments(wanted).items():
        (folder / f"{sha}.type").write_text(att.content_type)
        (folder / sha).write_bytes(att.content)
        written += 1
    return written


def attachment_reader(folder: Path | None) -> Callable[[str], Attachment | None]:
    """Look attachment parts up in an export's attachment directory."""

    def lookup(sha: str) -> Attachment | None:
        if folder is None or not sha.isalnum() or not (folder / sha).is_file():
            return None
        kind = folder / f"{sha}.type"
        ctype = kind.read_text().strip() if kind.is_file() else "application/octet-stream"
        return Attachment(sha, ctype, (folder / sha).read_bytes())

    return lookup


@dataclass
class Checkpoint(JsonCheckpoint):
    """Where an import stands: resume from ``offset`` (bytes) / ``line``."""

    offset: int = 0
    line: int = 0
    stored: int = 0
    existing: int = 0
    refused: int = 0


def _parse(number: int, raw: bytes) -> tuple[int, dict[str, Any]] | Rejected | None:
    text = raw.strip()
    if not text:
        return None
    try:
        body = json.loads(text)
    except ValueError as exc:
        return Rejected(number, f"not valid JSON: {exc}", [{"path": "$", "rule": "json"}])
    if not isinstance(body, dict):
        return Rejected(number, "a line must hold one statement object", [])
    return number, body


def import_ndjson(
    importer: Importer,
    stream: IO[bytes],
    attachments: Callable[[str], Attachment | None],
    report: IO[str],
    checkpoint_path: Path | None = None,
    chunk: int = 500,
    progress: Progress | None = None,
) -> Checkpoint:
    """Import every line after the checkpoint; return the final counts."""
    state = Checkpoint.load(checkpoint_path)
    importer.stored, importer.existing = state.stored, state.existing
    _skip(stream, state.offset)
    items: list[tuple[int, dict[str, Any]]] = []
    read = 0
    while True:
        raw = stream.readline()
        if raw:
            read += len(raw)
            parsed = _parse(state.line + 1, raw)
            state.line += 1
            if isinstance(parsed, Rejected):
                _report(report, [parsed], state)
            elif parsed is not None:
                items.append(parsed)
        if items and (len(items) >= chunk or not raw):
            _report(report, importer.add(items, attachments), state)
            if progress is not None:
                progress(len(items))
            items = []
        if len(items) == 0 or not raw:
            state.offset += read
            read = 0
            state.stored, state.existing = importer.stored, importer.existing
            report.flush()
            state.save(checkpoint_path)
        if not raw:
            return state


def _skip(stream: IO[bytes], offset: int) -> None:
    """Move to ``offset``: seek a file, read past the start of a pipe."""
    if not offset:
        return
    if stream.seekable():
        stream.seek(offset)
        return
    left = offset
    while left:
        got = stream.read(min(left, 1 << 20))
        if not got:
            return
        left -= len(got)


def _report(report: IO[str], bad: list[Rejected], state: Checkpoint) -> None:
    for item in bad:
        report.write(json.dumps(item.as_dict(), ensure_ascii=False) + "\n")
    state.refused += len(bad)
