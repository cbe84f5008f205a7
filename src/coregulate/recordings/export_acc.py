"""Decodes a session's raw accelerometer frames into acc.csv: one row per sample, in mg.

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
    """Write acc.csv into `out` if the file holds accelerometer frames; return what was written.

    A file without ACC gets no acc.csv, so exports of heartbeat-only sessions stay as they were.
    """
    rows = acc_rows(db)
    if not rows:
        return []
    target = out / "acc.csv"
    write(target, table(rows, ACC_CSV_HEADER))
    return [target]
