"""`coregulate import RR --acc ACC` streams the ACC file: memory does not grow with it.

Before, every ACC notification's frame was held in a list until the session file was
written: 48 h of 200 Hz ACC (34.6 million rows) is ~960,000 frames, several hundred
MB. Now the frames are written as they are read, and rows past 48 h of session time
(what a session holds, like the RR import's limit) are refused in one line.
"""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from coregulate.commands import _exit_codes as ex
from coregulate.recordings.import_acc import polar_acc_messages

CLI = [sys.executable, "-m", "coregulate.cli"]
T0 = datetime(2024, 4, 24, 14, 10, 16)
ANCHOR_NS = round(T0.timestamp() * 1e9)  # naive phone times read as local, like the importer
SENSOR_T0_NS = 767_000_000_000_000_000  # PMD clock (ns since 2000-01-01)
HEADER = "Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]\n"


def write_acc_file(path: Path, duration_s: float, start_s: float = 0.0) -> int:
    """Write a Polar Sensor Logger ACC file of 200 Hz rows (36 per notification); return rows."""
    n = int(duration_s * 200)
    with path.open("w") as f:
        f.write(HEADER)
        for a in range(0, n, 36 * 1000):  # a thousand notifications at a time
            i = np.arange(a, min(n, a + 36 * 1000))
            phones = {
                k: (T0 + timedelta(seconds=start_s + (k + 1) * 0.18 + 0.03)).isoformat(
                    timespec="milliseconds"
                )
                for k in range(i[0] // 36, i[-1] // 36 + 1)
            }
            z = np.rint(1000 + 12 * np.sin(2 * np.pi * 0.25 * i / 200)).astype(int)
            f.writelines(
                f"{phones[k // 36]};{SENSOR_T0_NS + k * 5_000_000};3;-4;{v}\n"
                for k, v in zip(i.tolist(), z.tolist(), strict=True)
            )
    return n


def _peak_mib_reading(path: Path) -> tuple[int, float]:
    """Return (frames, peak traced MiB) of reading the file's frames one by one."""
    tracemalloc.start()
    try:
        frames = sum(1 for _ in polar_acc_messages(path, "client", ANCHOR_NS))
        return frames, tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def test_reading_acc_frames_holds_the_same_memory_for_a_4x_longer_file(tmp_path: Path) -> None:
    short, long = tmp_path / "short.txt", tmp_path / "long.txt"
    write_acc_file(short, 150.0)
    write_acc_file(long, 600.0)
    frames_short, peak_short = _peak_mib_reading(short)
    frames_long, peak_long = _peak_mib_reading(long)
    assert (frames_short, frames_long) == (834, 3334)  # 150 s / 0.18 s, 600 s / 0.18 s
    # A list of the frames would grow with the file (~0.35 KiB per frame: +0.9 MiB).
    assert peak_long < peak_short + 0.25, (peak_short, peak_long)


def test_acc_rows_past_48_hours_are_refused_in_one_line(tmp_path: Path) -> None:
    rr = tmp_path / "rr.txt"
    rr.write_text(
        "Phone timestamp;RR-interval [ms]\n"
        + "".join(
            f"{(T0 + timedelta(seconds=0.8 * k)).isoformat(timespec='milliseconds')};800\n"
            for k in range(1, 60)
        )
    )
    acc = tmp_path / "acc.txt"
    write_acc_file(acc, 5.0, start_s=48 * 3600 + 1.0)
    out = tmp_path / "s.sqlite"
    run = subprocess.run(
        [*CLI, "import", str(rr), "--acc", str(acc), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == ex.BAD_INPUT, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "48 h" in lines[0] and "split the file" in lines[0], lines
    assert not out.exists()
