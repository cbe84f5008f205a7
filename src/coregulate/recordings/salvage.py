"""Recovers every intact row of a damaged session file into a new file.

The original is never opened for writing, nor even read in place: it (and its WAL,
if any) is copied to a private temporary folder first, because SQLite may touch the
files beside a database it opens. Rows are read by id range; a range that hits a
damaged page is split in halves until the damage is isolated, so every row on an
intact page is recovered, before and after the damage. Each row is checked against
the bus envelope before it is kept.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

from coregulate.bus.envelope import EnvelopeError, decode_frames
from coregulate.recordings.writer import SessionWriter
from coregulate.sessionfile.access import SessionFileError

log = logging.getLogger(__name__)

_COLUMNS = "id, source, topic, seq, t_ns, enc, header, payload, hub_ns"
_CHUNK = 4096


@dataclass
class SalvageReport:
    """What salvage found."""

    out: Path
    rows: int = 0
    unreadable_ranges: int = 0
    invalid_rows: int = 0
    meta: int = 0


def _read_ids(db: sqlite3.Connection, lo: int, hi: int, report: SalvageReport) -> list[tuple]:
    try:
        return db.execute(
            f"SELECT {_COLUMNS} FROM messages WHERE id BETWEEN ? AND ? ORDER BY id", (lo, hi)
        ).fetchall()
    except sqlite3.DatabaseError:
        if lo == hi:
            report.unreadable_ranges += 1
            return []
        mid = (lo + hi) // 2
        return _read_ids(db, lo, mid, report) + _read_ids(db, mid + 1, hi, report)


def _max_id(db: sqlite3.Connection, path: Path) -> int:
    try:
        value = db.execute("SELECT max(id) FROM messages").fetchone()[0]
        if value is not None:
            return int(value)
    except sqlite3.DatabaseError:
        pass
    # The rightmost page is damaged: no row is smaller than ~40 bytes, so this bounds the ids.
    return max(1, path.stat().st_size // 40)


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
    with tempfile.TemporaryDirectory(prefix="coregulate-salvage-") as tmp:
        os.chmod(tmp, 0o700)
        copy = Path(tmp) / "copy.sqlite"
        shutil.copyfile(src, copy)
        if Path(f"{src}-wal").is_file():
            shutil.copyfile(f"{src}-wal", f"{copy}-wal")
        _fit_header_to_file(copy)
        try:
            db = sqlite3.connect(copy)
            found = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'messages'"
            ).fetchall()
            if not found:
                raise sqlite3.DatabaseError("no messages table")
        except sqlite3.DatabaseError as exc:
            raise SessionFileError(
                f"{src}: nothing can be recovered; its header or table list is destroyed ({exc})"
            ) from exc
        try:
            with SessionWriter(out, "salvage") as writer:
                top = _max_id(db, copy)
                for lo in range(1, top + 1, _CHUNK):
                    for row in _read_ids(db, lo, min(top, lo + _CHUNK - 1), report):
                        if not _valid(row):
                            report.invalid_rows += 1
                            continue
                        writer.add_row(tuple(row[1:]))
                        report.rows += 1
                meta = _read_meta(db)
                meta["salvaged_from"] = src.name
                # A copy of a session, not a session: no catalogue counts it as one.
                meta["derived"] = {"kind": "salvage", "from": src.name}
                meta["salvage"] = {
                    "rows": report.rows,
                    "unreadable_ranges": report.unreadable_ranges,
                    "invalid_rows": report.invalid_rows,
                }
                report.meta = len(meta)
                writer.set_meta(meta)
        finally:
            db.close()
    log.info("salvaged %d rows from %s", report.rows, src)
    return report


def _fit_header_to_file(copy: Path) -> None:
    """Make a truncated copy readable: whole pages only, and a header size that says so.

    SQLite refuses a file whose header claims more pages than it holds; the claim is
    bytes 28-31 of the header (sqlite.org/fileformat2.html, "In-header database size").
    """
    data = bytearray(copy.read_bytes())
    if len(data) < 100 or not data.startswith(b"SQLite format 3\x00"):
        return
    page_size = struct.unpack(">H", data[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512:
        return
    n_pages = len(data) // page_size
    if n_pages == 0 or struct.unpack(">I", data[28:32])[0] == n_pages:
        return
    del data[n_pages * page_size :]
    data[28:32] = struct.pack(">I", n_pages)
    copy.write_bytes(bytes(data))


def _read_meta(db: sqlite3.Connection) -> dict:
    out = {}
    try:
        for key, value in db.execute("SELECT key, value FROM meta"):
            try:
                out[str(key)] = json.loads(value)
            except (TypeError, ValueError):
                continue
    except sqlite3.DatabaseError:
        log.warning("the meta table is damaged; salvaged messages only")
    return out
