"""Exports a session file as CSV tables with a README (BIDS: `export_bids.py`).

Everything comes from the file's analysis views (`sessionfile/schema.py`), so an
export shows exactly what the file holds. Times are given both as session time
(``t_s``, seconds since session start on the session clock) and, where useful, as
``t_ns``. Units are in column names. Files are owner-only (health data).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
import math
import os
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import coregulate
from coregulate.recordings.export_acc import write_acc_csv
from coregulate.recordings.export_people import README_PEOPLE, session_people, write_people_csv
from coregulate.recordings.stage_replay import has_live_metrics
from coregulate.security.files import private_dir, write_private_file
from coregulate.sessionfile.access import open_readonly, read_meta, read_session_payload
from coregulate.sessionfile.schema import VIEW_NAMES, VIEWS_SQL
from coregulate.signal import catalogue
from coregulate.signal.people import Person, is_default_dyad
from coregulate.signal.resample import rr_on_grid

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)
HR_GRID_HZ = 4.0  # the physio HR/RR series: a common grid for synchrony tools


def write_bytes(path: Path, data: bytes) -> None:
    write_private_file(path, data)


def table_bytes(rows: list[list[Any]], header: list[str], delimiter: str = ",") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["n/a" if v is None and delimiter == "\t" else v for v in row])
    return buf.getvalue().encode()


def query_rows(db: sqlite3.Connection, sql: str) -> list[list[Any]]:
    return [list(r) for r in db.execute(sql)]


# The rows the views may read: JSON payloads that parse (and every raw-bytes payload).
_PARSEABLE = "enc != 'json' OR json_valid(CAST(payload AS TEXT))"


def open_parseable(src: Path) -> tuple[sqlite3.Connection, int]:
    """Return a read-only connection whose views skip unparseable rows, and how many there are.

    A file written before the hub checked payloads may hold a JSON payload that does
    not parse, and SQLite's json_extract stops a whole query at it. This connection
    gets TEMP copies of the views (a temp view shadows the file's own for this
    connection only) over only the rows that parse: the file is never changed.
    """
    db = open_readonly(src)
    bad = db.execute(f"SELECT count(*) FROM main.messages WHERE NOT ({_PARSEABLE})").fetchone()[0]
    if bad:
        db.execute(f"CREATE TEMP VIEW parseable AS SELECT * FROM main.messages WHERE {_PARSEABLE}")
        for name in VIEW_NAMES:  # an older file's views are already temp (open_readonly)
            db.execute(f"DROP VIEW IF EXISTS temp.{name}")
        for statement in VIEWS_SQL:
            temp = statement.replace("CREATE VIEW IF NOT EXISTS", "CREATE TEMP VIEW", 1)
            db.execute(re.sub(r"\bmessages\b", "temp.parseable", temp))
        log.warning(
            "%s: skipped %d messages whose payload does not parse (written before the hub "
            "checked payloads); everything else is exported",
            src.name,
            bad,
        )
    return db, int(bad)


# name -> (SQL over the views, column headers with units)
_CSV_TABLES: dict[str, tuple[str, list[str]]] = {
    "beats": (
        "SELECT role, t_ns, t_ns / 1e9, rr_ms, rr_ticks, gap_before, source, artifact "
        "FROM beats ORDER BY role, t_ns",
        [
            "role",
            "t_ns",
            "t_s",
            "rr_ms",
            "rr_ticks_1024th_s",
            "gap_before",
            "source",
            "artifact_class",
        ],
    ),
    "status": (
        "SELECT subject, source, t_ns, t_ns / 1e9, status, detail_json FROM status ORDER BY t_ns",
        ["subject", "source", "t_ns", "t_s", "status", "detail_json"],
    ),
    "synchrony": (
        "SELECT source, series, final, t_ns, t_ns / 1e9, peak_r, peak_z, peak_lag_s, "
        "session_mean_peak_z, session_median_peak_lag_s, susy_es, payload_json "
        "FROM synchrony ORDER BY series, t_ns",
        [
            "source",
            "series",
            "final",
            "t_ns",
            "t_s",
            "peak_r",
            "peak_z_fisher",
            "peak_lag_s",
            "session_mean_peak_z_fisher",
            "session_median_peak_lag_s",
            "susy_es",
            "payload_json",
        ],
    ),
    "markers": (
        "SELECT source, t_ns, t_ns / 1e9, kind, note, payload_json FROM markers ORDER BY t_ns",
        ["source", "t_ns", "t_s", "kind", "note", "payload_json"],
    ),
    "ratings": (
        "SELECT source, t_ns, t_ns / 1e9, instrument, total, items_json, payload_json "
        "FROM ratings ORDER BY t_ns",
        ["source", "t_ns", "t_s", "instrument", "total_points", "items_json", "payload_json"],
    ),
    "hr_samples": (
        "SELECT role, t_ns, t_ns / 1e9, hr_bpm, source FROM hr_samples ORDER BY role, t_ns",
        ["role", "t_ns", "t_s", "hr_bpm", "source"],
    ),
    "ecg": (
        "SELECT role, t_ns, t_ns / 1e9, enc, hex(frame) FROM ecg ORDER BY role, t_ns",
        ["role", "t_ns_arrival", "t_s_arrival", "enc", "frame_hex"],
    ),
}


def _metrics_table() -> tuple[str, list[str]]:
    """Return the SQL and header of metrics.csv: the catalogue's exported metrics, then counts.

    Read at export time from the catalogue (`signal/catalogue.py`, `export_column`),
    so a metric added there is exported without touching this file.
    """
    exported = [m for m in catalogue.metrics() if m.export_column is not None]
    values = "".join(f"json_extract(payload_json, '$.{m.name}'), " for m in exported)
    sql = (
        f"SELECT role, source, t_ns, t_ns / 1e9, {values}"
        "n_beats, n_diffs, json_extract(payload_json, '$.window_s'), "
        "json_extract(payload_json, '$.hr_window_s'), json_extract(payload_json, '$.unavailable') "
        "FROM metrics ORDER BY role, t_ns"
    )
    header = ["role", "source", "t_ns", "t_s"]
    header += [str(m.export_column) for m in exported]
    header += ["n_beats", "n_diffs", "window_s", "hr_window_s", "unavailable_json"]
    return sql, header


def csv_tables() -> dict[str, tuple[str, list[str]]]:
    """Return every CSV table of an export: name -> (SQL over the views, header with units)."""
    tables = dict(_CSV_TABLES)
    # metrics.csv comes second, as it always has (after beats.csv).
    return {"beats": tables.pop("beats"), "metrics": _metrics_table(), **tables}


_CSV_README = """# coregulate export (CSV) of {source}

Written by {software} on {written}. One table per stream; the first row names the
columns, with units in the names (`_ms` milliseconds, `_s` seconds, `_ns`
nanoseconds, `_bpm` beats per minute). `t_s`/`t_ns` are session time: seconds or
nanoseconds since session start on the session clock. Calendar time of a row is
`wall_anchor_ns + t_ns` (ns since 1970-01-01 UTC; `session.json`, `clock`).

| file | what it is |
|---|---|
| beats.csv | every heartbeat (below) |
| metrics.csv | per-person metrics as published live after each notification (below) |
| status.csv | strap and process status changes (connecting, streaming, contact lost, ...) |
| synchrony.csv | dyadic synchrony per step and series (below) |
| markers.csv | rupture/repair/note markers |
| ratings.csv | alliance ratings (SRS/ORS/WAI-SR) |
| hr_samples.csv | HR samples without beats (imported HR-only files) |
| ecg.csv | raw Polar PMD ECG frames as hex, with arrival times |
| acc.csv | accelerometer samples (x, y, z in mg) on the session clock, if recorded |
| session.json | every parameter: clock anchor, software, ids, devices, hub counts |

beats.csv: `rr_ms` is the interval that ENDS at `t_s`; `rr_ticks_1024th_s` the
strap's raw value (empty for imports); `gap_before` = beats were lost before this
one, so no successive difference may span it; `source` strap or import;
`artifact_class` when the file has one.

synchrony.csv: one row per completed step of each series (`hr_bpm`, `ln_rmssd`,
...); `peak_*` of this step's window (positive lag = therapist leads), `session_*`
and `susy_es` for the session so far; the last row per series has `final` = 1;
`payload_json` has everything (docs/synchrony.md of coregulate).

metrics.csv: trailing windows of `window_s` (RMSSD) and `hr_window_s` (HR) seconds;
an empty value is "not available" and `unavailable_json` says why.

Definitions: docs/exports.md and docs/file-format.md of coregulate.
"""

_SKIPPED_NOTE = """
Not exported: {n} messages whose payload does not parse (the file was written
before the hub checked payloads). They stay in the session file's `messages` table.
"""


# An import or a simulated file: no stage ran, so its metrics and synchrony tables are
# empty; a researcher must not read that as "no data" (found 2026-11-30).
_NO_METRICS_HINT = "their tables are empty; `coregulate analyze FILE` computes them from the beats"
_NO_METRICS_NOTE = """
This file holds no live metrics or synchrony (an import or a simulated file: no
stage ran on it), so metrics.csv and synchrony.csv hold their header row only.
`coregulate analyze FILE --json OUT` (or `analyze --batch PAIRS.csv --tables DIR`)
computes them from the beats; `coregulate report FILE` draws them.
"""


def _people_note(people: tuple[Person, ...]) -> str:
    return README_PEOPLE.format(n=len(people), keys=", ".join(p.key for p in people))


def session_json(path: Path) -> dict[str, Any]:
    return {
        "source_file": path.name,
        "session": read_session_payload(path),
        "meta": read_meta(path),
        "exported_by": f"coregulate {coregulate.__version__}",
    }


def export_csv(path: str | os.PathLike[str], out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write one CSV per stream, session.json and README.md into `out_dir`; return the files."""
    src, out = Path(path), Path(out_dir)
    people = session_people(src)
    private_dir(out)
    written = []
    db, skipped = open_parseable(src)
    try:
        tables = csv_tables()
        for name, (sql, header) in tables.items():
            target = out / f"{name}.csv"
            write_bytes(target, table_bytes(query_rows(db, sql), header))
            written.append(target)
        written += write_acc_csv(db, out, table_bytes, write_bytes)
        if not is_default_dyad(people):
            sync_header = tables["synchrony"][1]
            written += write_people_csv(db, out, people, sync_header, table_bytes, write_bytes)
    finally:
        db.close()
    target = out / "session.json"
    write_bytes(target, json.dumps(session_json(src), indent=2).encode())
    written.append(target)
    target = out / "README.md"
    live_metrics = has_live_metrics(src)
    write_bytes(
        target,
        _CSV_README.format(
            source=src.name,
            software=f"coregulate {coregulate.__version__}",
            written=datetime.now(UTC).isoformat(timespec="seconds"),
        ).encode()
        + (_people_note(people).encode() if not is_default_dyad(people) else b"")
        + (_SKIPPED_NOTE.format(n=skipped).encode() if skipped else b"")
        + (_NO_METRICS_NOTE.encode() if not live_metrics else b""),
    )
    written.append(target)
    if not live_metrics:
        log.warning("%s holds no live metrics or synchrony: %s", src.name, _NO_METRICS_HINT)
    return written


def hr_grid(
    t_ns: np.ndarray, rr_ms: np.ndarray, gap_before: np.ndarray, grid_hz: float = HR_GRID_HZ
) -> tuple[float, np.ndarray, np.ndarray]:
    """Return (start_s, HR bpm, RR ms) on a regular grid; NaN in gaps and far from beats.

    RR is linearly interpolated between beat end times (`signal/resample.py`); no
    value is made up across a gap or farther than `MAX_INTERP_GAP_S` from a beat.
    """
    t_s = np.asarray(t_ns, dtype=float) / 1e9
    if t_s.size < 2:
        return 0.0, np.zeros(0), np.zeros(0)
    start = math.ceil(t_s[0] * grid_hz) / grid_hz
    grid = np.arange(start, t_s[-1], 1.0 / grid_hz)
    rr = rr_on_grid(t_ns, rr_ms, gap_before, grid)
    return float(start), 60000.0 / rr, rr


def tsv_gz(rows: np.ndarray) -> bytes:
    text = "\n".join(
        "\t".join("n/a" if not math.isfinite(v) else f"{v:.4f}" for v in row) for row in rows
    )
    # mtime 0: the same session exports to the same bytes.
    return gzip.compress((text + "\n").encode() if rows.size else b"", mtime=0)
