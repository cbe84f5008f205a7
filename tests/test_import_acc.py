"""A Polar Sensor Logger RR + ACC import round-trips through analyze (issue 17 item 6)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from coregulate.acquisition._sim_acc import AccScenario, simulate_acc
from coregulate.commands import _exit_codes as ex

CLI = [sys.executable, "-m", "coregulate.cli"]
T0 = datetime(2024, 4, 24, 14, 10, 16)
SENSOR_T0_NS = 767_000_000_000_000_000  # PMD clock (ns since 2000-01-01)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120)


def _write_pair(folder: Path, scn: AccScenario) -> tuple[Path, Path]:
    """Write Polar Sensor Logger RR and ACC files of the same simulated 5 minutes."""
    rr = folder / "Polar_H10_RR.txt"
    lines, t = ["Phone timestamp;RR-interval [ms]"], 0.0
    rng = np.random.default_rng(1)
    while t < scn.duration_s:
        ibi = 800.0 + rng.normal(0, 30)
        t += ibi / 1000
        lines.append(f"{(T0 + timedelta(seconds=t)).isoformat(timespec='milliseconds')};{ibi:.0f}")
    rr.write_text("\n".join(lines) + "\n")
    _, xyz = simulate_acc(scn)
    acc = folder / "Polar_H10_ACC.txt"
    rows = ["Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]"]
    for i, (x, y, z) in enumerate(np.rint(xyz).astype(int)):
        arrival = T0 + timedelta(seconds=(i // 36 + 1) * 36 / 200 + 0.03)  # 36 per notification
        phone = arrival.isoformat(timespec="milliseconds")
        rows.append(f"{phone};{SENSOR_T0_NS + i * 5_000_000};{x};{y};{z}")
    acc.write_text("\n".join(rows) + "\n")
    return rr, acc


def test_polar_sensor_logger_rr_and_acc_round_trip_through_analyze(tmp_path: Path) -> None:
    # 7 breaths/min (outside 9-24), 10 s of gestures and one posture change.
    scn = AccScenario(
        300.0,
        ((0.0, 7.0),),
        tilt_deg=0.7,
        movements=((100.0, 110.0),),
        postures=((200.0, 30.0),),
        seed=6,
    )
    rr, acc = _write_pair(tmp_path, scn)
    session = tmp_path / "s.sqlite"
    run = _cli("import", str(rr), "--acc", str(acc), "--out", str(session))
    assert run.returncode == 0, run.stderr
    out = tmp_path / "a.json"
    run = _cli("analyze", str(session), "--json", str(out))
    assert run.returncode == 0, run.stderr
    client = json.loads(out.read_text())["client"]
    assert client["breathing_source"] == "acc"
    assert abs(client["breathing_rate_bpm"] - 7.0) <= 1.0
    assert client["hf_outside_band_share"] == 1.0  # every window breathes at 7/min
    # 10 s of gestures + the posture turn (1 s, marked 2 s) over 300 s: 12/300.
    assert abs(client["movement_share"] - 12 / 300) <= 1 / 300
    assert json.loads(out.read_text())["therapist"] is None


def test_bad_acc_file_is_one_line_and_nothing_is_written(tmp_path: Path) -> None:
    rr, acc = _write_pair(tmp_path, AccScenario(40.0))
    acc.write_text(
        "Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]\n"
        "2024-04-24T14:10:17.000;1;a;2;3\n"
    )
    session = tmp_path / "s.sqlite"
    run = _cli("import", str(rr), "--acc", str(acc), "--out", str(session))
    assert run.returncode == ex.BAD_INPUT and "are not numbers" in run.stderr, run.stderr
    assert not session.exists()


def test_polar_sensor_logger_ecg_is_recorded_as_the_strap_s_frames(tmp_path: Path) -> None:
    import sqlite3

    from coregulate.acquisition.pmd import decode_ecg_frame

    rr, acc = _write_pair(tmp_path, AccScenario(40.0))
    ecg = tmp_path / "Polar_H10_ECG.txt"
    rows = ["Phone timestamp;sensor timestamp [ns];timestamp [ms];ecg [uV]"]
    uv = (np.sin(np.arange(730) / 5) * 900).astype(int)
    for i, v in enumerate(uv):
        phone = (T0 + timedelta(seconds=(i // 73 + 1) * 73 / 130 + 0.02)).isoformat(
            timespec="milliseconds"
        )
        rows.append(f"{phone};{SENSOR_T0_NS + round(i * 1e9 / 130)};{i * 1000 / 130:.3f};{v}")
    ecg.write_text("\n".join(rows) + "\n")
    session = tmp_path / "s.sqlite"
    args = ["import", str(rr), "--ecg", str(ecg), "--acc", str(acc), "--out", str(session)]
    run = _cli(*args)
    assert run.returncode == 0, run.stderr
    db = sqlite3.connect(session)
    frames = [
        decode_ecg_frame(f)
        for (f,) in db.execute(
            "SELECT payload FROM messages WHERE topic = 'ecg.client' ORDER BY id"
        )
    ]
    assert db.execute("SELECT count(*) FROM messages WHERE topic = 'acc.client'").fetchone()[0]
    db.close()
    assert len(frames) == 10 and [s for f in frames for s in f.samples_uv] == uv.tolist()
    assert frames[0].timestamp_ns == SENSOR_T0_NS + round(72 * 1e9 / 130)
