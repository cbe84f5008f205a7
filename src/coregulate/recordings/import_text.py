"""Reads an import file's text line by line, in bounded memory, and says where it is wrong.

Every text import format (`recordings/importers.py`) reads through `text_lines`:
nothing but the current line is held, whatever the file's size, and a file that
holds more than a session can (48 h) is refused as soon as that is clear.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Final

from coregulate.recordings.limits import MAX_BEATS_PER_PERSON

__all__ = ["MAX_IMPORT_VALUES", "TOO_LONG", "ImportFileError", "check_count", "text_lines"]


class ImportFileError(ValueError):
    """An import file that cannot be read; the text names the file, line and expectation."""


# An import file holds at most what a session can: 48 h of beats at 300 bpm.
MAX_IMPORT_VALUES: Final = MAX_BEATS_PER_PERSON
_MAX_LINE_BYTES = 4096  # a line longer than this is not an RR or Polar row
TOO_LONG = "more than 48 h, the longest a session holds; split the file and import each part"


def text_lines(path: Path, expected: str) -> Iterator[tuple[int, str]]:
    """Yield (line number, text) of a UTF-8 text file, one line at a time.

    Memory stays bounded whatever the file's size: nothing but the current line is
    held. Raises ImportFileError naming the line for binary data, bad UTF-8 or an
    over-long line, and for an empty file.
    """
    try:
        f = path.open("rb")
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read it ({exc.strerror})") from exc
    with f:
        head = f.read(65536)  # binary files show a NUL early: say so before any line
        if head.startswith(b"SQLite format 3\x00"):
            raise ImportFileError(f"{path} is already a session file: use it directly, no import")
        if b"\x00" in head:
            raise ImportFileError(
                f"{path}: binary data (a NUL byte at byte {head.index(0)}); expected a text "
                f"file with {expected}"
            )
        f.seek(0)
        empty = True
        for line_no, raw in enumerate(iter(lambda: f.readline(_MAX_LINE_BYTES + 1), b""), 1):
            if len(raw) > _MAX_LINE_BYTES:
                raise ImportFileError(
                    f"{path}, line {line_no}: longer than {_MAX_LINE_BYTES} bytes; "
                    f"expected {expected}"
                )
            if b"\x00" in raw:
                raise ImportFileError(
                    f"{path}, line {line_no}: binary data (a NUL byte); expected a text file "
                    f"with {expected}"
                )
            try:
                text = raw.decode("utf-8-sig" if line_no == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise ImportFileError(
                    f"{path}, line {line_no}: not UTF-8 text (byte {exc.start}); expected a "
                    f"text file with {expected}"
                ) from exc
            empty = empty and not text.strip()
            yield line_no, text.rstrip("\r\n")
        if empty:
            raise ImportFileError(f"{path}: the file is empty; expected {expected}")


def check_count(path: Path, n: int) -> None:
    """Raise ImportFileError once a file holds more values than a session can."""
    if n > MAX_IMPORT_VALUES:
        raise ImportFileError(
            f"{path}: more than {MAX_IMPORT_VALUES} values (48 h at 300 bpm): {TOO_LONG}"
        )
