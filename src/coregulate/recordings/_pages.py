"""The rows of an SQLite file read page by page, without its b-tree's interior pages.

SQLite finds a row through the interior pages of its table's b-tree; when they are
lost (a truncated file keeps its first pages, but the interior pages of a big table
are allocated late and sit near the end) no query reaches the intact leaves. This
reads every table leaf page (type 0x0D) wherever it lies, its cells, their overflow
chains and records, straight from the file format (sqlite.org/fileformat2.html,
sections 1.3, 1.6, 2.1 and 4: header, b-tree pages, record format, WAL). The WAL's
committed frames of the current generation replace the pages they hold, as SQLite
would. Python's sqlite3 has no binding for SQLite's own recovery API
(sqlite3_recover_*, 3.44+), and the `sqlite3` shell's `.recover` is not something
every user has, hence this.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_MAGIC = b"SQLite format 3\x00"
_WAL_MAGIC = (0x377F0682, 0x377F0683)
_LEAF_TABLE = 0x0D
_INT_SIZES = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}


class NotSQLite(Exception):
    """The file's header is not an SQLite header: nothing can be read page by page."""


@dataclass
class PagedFile:
    """An SQLite file's pages (the WAL's committed frames applied) and header fields."""

    page_size: int
    usable: int  # page size minus the reserved bytes at each page's end
    pages: dict[int, bytes]  # page number (1-based) -> bytes

    def header_int(self, offset: int) -> int:
        """Return the 4-byte big-endian header field at `offset` of page 1 (0 if missing)."""
        first = self.pages.get(1, b"")
        return struct.unpack(">I", first[offset : offset + 4])[0] if len(first) >= 100 else 0


def read_paged(main: bytes, wal: bytes | None) -> PagedFile:
    """Return the pages of a database file's bytes and its WAL's (raises NotSQLite)."""
    if len(main) < 100 or not main.startswith(_MAGIC):
        raise NotSQLite("no SQLite header")
    size = struct.unpack(">H", main[16:18])[0]
    size = 65536 if size == 1 else size
    if size < 512 or size & (size - 1):
        raise NotSQLite(f"impossible page size {size}")
    usable = size - main[20]
    pages = {i + 1: main[i * size : (i + 1) * size] for i in range(len(main) // size)}
    pages.update(_wal_pages(wal or b"", size))
    return PagedFile(size, usable, pages)


def _wal_pages(wal: bytes, size: int) -> dict[int, bytes]:
    """Return the pages of the WAL's committed transactions (latest frame of each page)."""
    if len(wal) < 32 or struct.unpack(">I", wal[:4])[0] not in _WAL_MAGIC:
        return {}
    if struct.unpack(">I", wal[8:12])[0] != size:
        return {}
    salts = wal[16:24]
    committed: dict[int, bytes] = {}
    pending: dict[int, bytes] = {}
    frame = 24 + size
    for off in range(32, len(wal) - frame + 1, frame):
        if wal[off + 8 : off + 16] != salts:
            break  # a frame of an older generation: already in the main file
        number, commit_size = struct.unpack(">II", wal[off : off + 8])
        pending[number] = wal[off + 24 : off + frame]
        if commit_size:  # the last frame of a transaction: it counts from here
            committed.update(pending)
            pending.clear()
    return committed


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    """Return (value, next index) of the SQLite varint at `i` (raises IndexError)."""
    value = 0
    for k in range(8):
        byte = buf[i + k]
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, i + k + 1
    return (value << 8) | buf[i + 8], i + 9


def _payload(f: PagedFile, page: bytes, i: int, size: int) -> bytes:
    """Return a cell's whole payload of `size` bytes starting at `i`, overflow included."""
    u = f.usable
    most = u - 35
    if size <= most:
        return page[i : i + size]
    least = (u - 12) * 32 // 255 - 23
    local = least + (size - least) % (u - 4)
    local = local if local <= most else least
    parts = [page[i : i + local]]
    (nxt,) = struct.unpack(">I", page[i + local : i + local + 4])
    have, seen = local, set()
    while have < size:
        if nxt in seen or nxt not in f.pages:
            raise ValueError("broken overflow chain")
        seen.add(nxt)
        over = f.pages[nxt]
        chunk = over[4 : 4 + min(u - 4, size - have)]
        parts.append(chunk)
        have += len(chunk)
        (nxt,) = struct.unpack(">I", over[:4])
    return b"".join(parts)


def _record(data: bytes) -> tuple[Any, ...]:
    """Return the values of one record (raises ValueError, IndexError, UnicodeError)."""
    header_size, i = _varint(data, 0)
    types = []
    while i < header_size:
        t, i = _varint(data, i)
        types.append(t)
    values: list[Any] = []
    j = header_size
    for t in types:
        if t == 0:
            values.append(None)
        elif t in _INT_SIZES:
            n = _INT_SIZES[t]
            values.append(int.from_bytes(data[j : j + n], "big", signed=True))
            j += n
        elif t == 7:
            values.append(struct.unpack(">d", data[j : j + 8])[0])
            j += 8
        elif t in (8, 9):
            values.append(t - 8)
        elif t >= 12:
            n = (t - 12) // 2
            raw = data[j : j + n]
            values.append(raw.decode() if t % 2 else raw)
            j += n
        else:
            raise ValueError(f"reserved serial type {t}")
    if j != len(data):
        raise ValueError("record length does not match its header")
    return tuple(values)


def leaf_rows(f: PagedFile) -> Iterator[tuple[int, tuple[Any, ...] | None]]:
    """Yield (rowid, values) of every cell on every table leaf page; values None if unreadable.

    Pages come in file order, not rowid order; a page that is not a table leaf (an
    index, an interior page, overflow or free space) yields nothing.
    """
    for number in sorted(f.pages):
        page = f.pages[number]
        base = 100 if number == 1 else 0
        if len(page) < base + 8 or page[base] != _LEAF_TABLE:
            continue
        n_cells = struct.unpack(">H", page[base + 3 : base + 5])[0]
        for c in range(n_cells):
            try:
                (ptr,) = struct.unpack(">H", page[base + 8 + 2 * c : base + 10 + 2 * c])
                size, i = _varint(page, ptr)
                rowid, i = _varint(page, i)
                values = _record(_payload(f, page, i, size))
            except (ValueError, IndexError, UnicodeError, struct.error):
                yield -1, None
                continue
            yield rowid, values
