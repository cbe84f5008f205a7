"""The import and export formats, each declared once: its name and the function that does it.

`coregulate import` and `coregulate export` offer these names as their `--format`
choices and call `read_import` / `write_export`; a new format is one entry here
(plus its reader or writer in `recordings/importers.py` or `recordings/export.py`).
The readers and writers are imported when used, so listing the names stays cheap
(`coregulate --help`).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coregulate.recordings.importers import ImportedRecording

AUTO = "auto"  # detect the import format from the file's first bytes


@dataclass(frozen=True)
class ImportFormat:
    """One import format: its reader in `recordings/importers.py`, and whom a file holds.

    A single-person file's reader takes `(path, role)`; a file that holds both
    people (XDF) takes `(path, {role: stream name} or None)` instead.
    """

    reader: str
    both_people: bool = False

    def read(self, path: Path, role: str, streams: Mapping[str, str] | None) -> ImportedRecording:
        """Return the recording this format's reader makes of `path`."""
        read = getattr(importlib.import_module("coregulate.recordings.importers"), self.reader)
        if self.both_people:
            return read(path, dict(streams) if streams else None)
        return read(path, role)


IMPORT_FORMATS: dict[str, ImportFormat] = {
    "rr": ImportFormat("read_rr_list"),  # one RR per line: Kubios, Elite HRV, HRV Logger
    "polar": ImportFormat("read_polar_rr"),  # Polar Sensor Logger RR file
    "polar-hr": ImportFormat("read_polar_hr"),  # Polar Sensor Logger HR file (no beats)
    "xdf": ImportFormat("read_xdf", both_people=True),  # LabRecorder
}


def read_import(
    path: str | os.PathLike[str],
    fmt: str = AUTO,
    role: str = "client",
    streams: Mapping[str, str] | None = None,
) -> ImportedRecording:
    """Return the recording read from `path` in format `fmt` (AUTO: detected from its content).

    `role` says whose beats a single-person file holds; `streams` names the XDF
    stream of each role. Raises `ImportFileError` saying what is wrong with the file.
    """
    from coregulate.recordings.importers import detect_format

    name = detect_format(path) if fmt == AUTO else fmt
    return IMPORT_FORMATS[name].read(Path(path), role, streams)


# name -> "module:function" in `recordings/` that writes (session file, folder)
EXPORT_FORMATS: dict[str, str] = {
    "csv": "export:export_csv",  # CSV tables with units in column names
    "bids": "export_bids:export_bids",  # BIDS-style physio TSV.gz with JSON sidecars
}


def write_export(src: str | os.PathLike[str], out: str | os.PathLike[str], fmt: str) -> list[Any]:
    """Write the session file `src` to the folder `out` in format `fmt`; return the files."""
    module, _, name = EXPORT_FORMATS[fmt].partition(":")
    write = getattr(importlib.import_module(f"coregulate.recordings.{module}"), name)
    return write(Path(src), Path(out))
