"""Recovers every intact row of a damaged session file into a new file.

The original is never opened by SQLite, nor changed: its bytes (and its WAL's, if
any) are read once. Rows are read page by page (`_pages`): every table leaf page
wherever it lies, so a file whose b-tree interior pages are lost (a truncated file
keeps its first half, but the interior pages of a big table sit near the end) still
gives up every row on an intact leaf; the WAL's committed transactions count, so a
recording killed before its WAL was folded in loses nothing committed. Rows are
written in their original arrival order (id); each is checked against the bus
envelope before it is kept. A file of a newer schema is refused, never rewritten
as this one's.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coregulate.bus.envelope import EnvelopeError, decode_frames
from coregulate.recordings._pages import NotSQLite, PagedFile, leaf_rows, read_paged
from coregulate.recordings.writer import SessionWriter
from coregulate.sessionfile.access import SessionFileError, newer_schema_error
from coregulate.sessionfile.schema import APPLICATION_ID, STORE_SCHEMA_VERSION

log = logging.getLogger(__name__)

# Header offsets (sqlite.org/fileformat2.html 1.3): PRAGMA user_version, application_id.
_USER_VERSION_AT = 60
_APPLICATION_ID_AT = 68
# A `messages` row: id (NULL: the rowid is the id), source, topic, seq, t_ns, enc,
# header, payload, hub_ns; a `meta` row: key, value.
_MESSAGE_TYPES = (type(None), str, str, int, int, str, bytes, bytes, int)


@dataclass
class SalvageReport:
    """What salvage found."""

    out: Path
    rows: int = 0
    missing_ids: int = 0  # ids up to the last one recovered that no intact page holds
    unreadable_cells: int = 0  # cells on leaf pages whose record or overflow is damaged
    invalid_rows: int = 0  # rows of the right shape that are not a bus message
    meta: int = 0


def _read_file(src: Path) -> PagedFile:
    wal = Path(f"{src}-wal")
    try:
        paged = read_paged(src.read_bytes(), wal.read_bytes() if wal.is_file() else None)
    except NotSQLite as exc:
        raise SessionFileError(
            f"{src}: nothing can be recovered; its header or table list is destroyed ({exc})"
        ) from exc
    except OSError as exc:
        raise SessionFileError(f"{src}: cannot be read ({exc.strerror or exc})") from exc
    app_id = paged.header_int(_APPLICATION_ID_AT)
    if app_id != APPLICATION_ID:
        raise SessionFileError(f"{src}: nothing can be recovered; it is not a session file")
    version = paged.header_int(_USER_VERSION_AT)
    if version > STORE_SCHEMA_VERSION:
        raise newer_schema_error(src, version)
    return paged


def _shape_of(values: tuple[Any, ...]) -> tuple[type, ...]:
    return tuple(type(v) for v in values)


def _valid(row: tuple) -> bool:
    _, _source, topic, seq, t_ns, enc, header, payload, _ = row
    try:
        msg = decode_frames([str(topic).encode("ascii"), bytes(header), bytes(payload)])
    except (EnvelopeError, UnicodeEncodeError, TypeError):
        return False
    return msg.seq == seq and msg.t_ns == t_ns and msg.enc == enc


def salvage(path: str | os.PathLike[str], out: str | os.PathLike[str]) -> SalvageReport:
    """Copy every intact row of `path` into the new file `out`; return what was recovered."""
    src = Path(path)
    if not src.is_file():
        raise SessionFileError(f"{src}: no such file")
    report = SalvageReport(Path(out))
    paged = _read_file(src)
    messages: dict[int, tuple[Any, ...]] = {}
    meta: dict[str, Any] = {}
    for rowid, values in leaf_rows(paged):
        if values is None:
            report.unreadable_cells += 1
        elif _shape_of(values) == _MESSAGE_TYPES:
            # Messages are never changed, so every copy of an id (an older page in a
            # free list, say) holds the same row; the envelope check catches the rest.
            if rowid not in messages:
                if _valid((rowid, *values[1:])):
                    messages[rowid] = values[1:]
                else:
                    report.invalid_rows += 1
        elif _shape_of(values) == (str, str):
            try:
                meta.setdefault(values[0], json.loads(values[1]))
            except ValueError:
                continue
    if not messages:
        log.warning("%s: no intact message found", src)
    with SessionWriter(out, "salvage") as writer:
        for rowid in sorted(messages):
            writer.add_row(messages[rowid])
        report.rows = len(messages)
        report.missing_ids = (max(messages) - len(messages)) if messages else 0
        meta = {k: v for k, v in meta.items() if k not in ("derived", "salvage")}
        meta["salvaged_from"] = src.name
        # A copy of a session, not a session: no catalogue counts it as one.
        meta["derived"] = {"kind": "salvage", "from": src.name}
        meta["salvage"] = {
            "rows": report.rows,
            "missing_ids": report.missing_ids,
            "unreadable_cells": report.unreadable_cells,
            "invalid_rows": report.invalid_rows,
        }
        report.meta = len(meta)
        writer.set_meta(meta)
    log.info("salvaged %d rows from %s", report.rows, src)
    return report
