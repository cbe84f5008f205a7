"""acc.csv (the raw accelerometer frames decoded, one row per sample, mg) and breathing.csv.

The strap stamps each frame's last sample on its own clock (PMD epoch); the file
stamps each frame on arrival (session clock). A sample's session time is its strap
time plus the per-person offset between the two clocks, taken as the smallest
arrival-minus-strap difference of the session (the frame with the least transport
delay), so the samples keep the strap's even spacing and no arrival jitter.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from coregulate.acquisition.pmd import PmdError
from coregulate.acquisition.pmd_acc import AccFrame, decode_acc_frame

ACC_CSV_HEADER = ["role", "t_ns", "t_s", "x_mg", "y_mg", "z_mg"]
# breathing.csv: the live breath.<role> updates (signal/breathing_live.py), as published.
_BREATH_SQL = """SELECT substr(topic, 8), t_ns, t_ns / 1e9,
       json_extract(p, '$.breathing_rate_bpm'), json_extract(p, '$.breathing_source'),
       json_extract(p, '$.window_s'), json_extract(p, '$.movement_mg'),
       json_extract(p, '$.moving'), json_extract(p, '$.posture_change'),
       json_extract(p, '$.hf_note'), json_extract(p, '$.unavailable')
FROM (SELECT topic, t_ns, CAST(payload AS TEXT) AS p FROM messages
      WHERE topic >= 'breath.' AND topic < 'breath/') ORDER BY topic, t_ns"""
BREATH_CSV_HEADER = [
    "role", "t_ns", "t_s", "breathing_rate_bpm", "breathing_source", "window_s",
    "movement_mg", "moving", "posture_change", "hf_note", "unavailable_json",
]  # fmt: skip


def _decoded(db: sqlite3.Connection) -> dict[str, list[tuple[int, AccFrame]]]:
    """Return each person's decodable frames with their arrival times (bad ones skipped)."""
    frames: dict[str, list[tuple[int, AccFrame]]] = {}
    for role, t_ns, frame in db.execute("SELECT role, t_ns, frame FROM acc ORDER BY role, t_ns"):
        try:
            frames.setdefault(role, []).append((t_ns, decode_acc_frame(bytes(frame))))
        except PmdError:
            continue  # recorded raw and flagged live; nothing to decode
    return frames


def acc_rows(db: sqlite3.Connection) -> list[list[Any]]:
    """Return acc.csv's rows: role, session t_ns and t_s, x/y/z in mg, per sample."""
    rows: list[list[Any]] = []
    for role, frames in _decoded(db).items():
        offset_ns = min(t_ns - f.timestamp_ns for t_ns, f in frames)
        for _, frame in frames:
            for t_ns, (x, y, z) in zip(frame.sample_times_ns(), frame.samples_mg, strict=True):
                t = t_ns + offset_ns
                rows.append([role, t, t / 1e9, x, y, z])
    return rows


def write_acc_csv(
    db: sqlite3.Connection,
    out: Path,
    table: Callable[[list[list[Any]], list[str]], bytes],
    write: Callable[[Path, bytes], None],
) -> list[Path]:
    """Write acc.csv and breathing.csv into `out` when the file holds ACC; return them.

    A file without ACC gets neither, so exports of heartbeat-only sessions stay as they were.
    """
    written = []
    for name, rows, header in (
        ("acc", acc_rows(db), ACC_CSV_HEADER),
        ("breathing", [list(r) for r in db.execute(_BREATH_SQL)], BREATH_CSV_HEADER),
    ):
        if rows:
            written.append(out / f"{name}.csv")
            write(written[-1], table(rows, header))
    return written
