"""acc.csv (the raw accelerometer frames decoded, one row per sample, mg) and breathing.csv.

The strap stamps each frame's last sample on its own clock (PMD epoch); the file
stamps each frame on arrival (session clock). A sample's session time is its strap
time plus the per-person offset between the two clocks, taken as the smallest
arrival-minus-strap difference of the session (the frame with the least transport
delay), so the samples keep the strap's even spacing and no arrival jitter.
"""

from __future__ import annotations

import gzip
import io
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from coregulate.acquisition.pmd import PmdError
from coregulate.acquisition.pmd_acc import ACC_RATE_HZ, acc_frame_array
from coregulate.recordings.export_breathing import BREATH_CSV_HEADER, breathing_rows

ACC_CSV_HEADER = ["role", "t_ns", "t_s", "x_mg", "y_mg", "z_mg"]


def acc_arrays(db: sqlite3.Connection) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Return each person's samples: (session t_ns, (n, 3) mg), undecodable frames skipped."""
    frames: dict[str, list[tuple[int, int, np.ndarray]]] = {}
    for role, t_ns, frame in db.execute("SELECT role, t_ns, frame FROM acc ORDER BY role, t_ns"):
        try:
            stamp_ns, mg = acc_frame_array(bytes(frame))
        except PmdError:
            continue  # recorded raw and flagged live; nothing to decode
        frames.setdefault(role, []).append((t_ns, stamp_ns, mg))
    out = {}
    for role, mine in frames.items():
        offset_ns = min(t - stamp for t, stamp, _ in mine)
        times = [
            stamp + offset_ns - np.round((len(mg) - 1 - np.arange(len(mg))) * 1e9 / ACC_RATE_HZ)
            for _, stamp, mg in mine
        ]
        out[role] = (
            np.concatenate(times).astype(np.int64),
            np.concatenate([mg for _, _, mg in mine]),
        )
    return out


def acc_rows(db: sqlite3.Connection) -> list[list[Any]]:
    """Return acc.csv's rows: role, session t_ns and t_s, x/y/z in mg, per sample."""
    rows: list[list[Any]] = []
    for role, (t_ns, mg) in acc_arrays(db).items():
        for t, (x, y, z) in zip(t_ns.tolist(), mg.tolist(), strict=True):
            rows.append([role, t, t / 1e9, x, y, z])
    return rows


def write_acc_csv(
    db: sqlite3.Connection,
    out: Path,
    table: Callable[[list[list[Any]], list[str]], bytes],
    write: Callable[[Path, bytes], None],
) -> list[Path]:
    """Write acc.csv and breathing.csv into `out` when the file has their data; return them.

    acc.csv needs ACC frames; breathing.csv live breathing updates, or ECG or ACC frames
    to recompute them from (recordings/export_breathing.py). A heartbeat-only file gets
    neither, so its export stays as it was.
    """
    written = []
    for name, rows, header in (
        ("acc", acc_rows(db), ACC_CSV_HEADER),
        ("breathing", breathing_rows(db), BREATH_CSV_HEADER),
    ):
        if rows:
            written.append(out / f"{name}.csv")
            write(written[-1], table(rows, header))
    return written


ACC_PHYSIO_COLUMNS = ("accel_x", "accel_y", "accel_z")
_TSV_CHUNK_ROWS = 60_000  # 5 minutes at 200 Hz


def acc_on_grid(db: sqlite3.Connection) -> dict[str, tuple[float, np.ndarray]]:
    """Return each person's (StartTime s, (n, 3) mg on the strap's 200 Hz grid; NaN where lost).

    The samples are acc.csv's (`acc_arrays`: strap-spaced, on the session clock); a
    lost frame leaves its 36 rows NaN, so row k is always StartTime + k / 200 s.
    """
    out = {}
    for role, (t_ns, mg) in acc_arrays(db).items():
        index = np.rint((t_ns - t_ns.min()) * ACC_RATE_HZ / 1e9).astype(np.int64)
        grid = np.full((int(index.max()) + 1, 3), np.nan)
        grid[index] = mg
        out[role] = (float(t_ns.min()) / 1e9, grid)
    return out


def acc_tsv_gz(grid: np.ndarray) -> bytes:
    """Return BIDS physio rows (no header): whole mg, "n/a" where lost; the same bytes each time.

    Written in chunks: rows as Python lists cost ~140 bytes each, 400 MB for 4 hours.
    """
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as gz:
        for a in range(0, len(grid), _TSV_CHUNK_ROWS):
            part = grid[a : a + _TSV_CHUNK_ROWS]
            ok = np.isfinite(part).all(axis=1)
            mg = np.where(ok[:, None], part, 0).astype(np.int64).tolist()
            gz.write(
                "".join(
                    f"{x}\t{y}\t{z}\n" if good else "n/a\tn/a\tn/a\n"
                    for (x, y, z), good in zip(mg, ok.tolist(), strict=True)
                ).encode()
            )
    return out.getvalue()


def acc_sidecar(start_s: float) -> dict[str, Any]:
    """Return the JSON sidecar of a person's `_recording-acc_physio.tsv.gz`."""
    described = {
        name: {
            "Units": "mg",
            "Description": f"chest acceleration along the strap's {name[-1]} axis in milli-g "
            "(1000 mg = 9.80665 m/s^2, gravity included), the Polar H10's raw 16-bit "
            "samples (PMD frames, decoded); n/a where frames were lost",
        }
        for name in ACC_PHYSIO_COLUMNS
    }
    return {
        "SamplingFrequency": float(ACC_RATE_HZ),
        "StartTime": start_s,
        "Columns": list(ACC_PHYSIO_COLUMNS),
        **described,
        "StartTimeReference": "session start (session clock 0)",
    }
