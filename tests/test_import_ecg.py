"""A Polar Sensor Logger ECG file alone: beats from its R peaks, breathing from ECG (issue 17).

The ECG is real: pyphysio 4.10.0's ``test_data/medical.txt.bz2`` (2048 Hz, 120 s, with
a respiration belt; see tests/test_breathing_edr.py), resampled to the Polar H10's
130 Hz and written as a Sensor Logger file (73 samples per notification, as the H10
sends). References: the R peaks NeuroKit2 (``ecg_clean`` + ``ecg_peaks``) finds in the
same 130 Hz signal, and the belt's rate (NeuroKit2 ``rsp_process`` ``RSP_Rate``,
median over the recording: 14.7 /min).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import warnings
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from coregulate.commands import _exit_codes as ex
from shipped_recordings import pyphysio_medical

CLI = [sys.executable, "-m", "coregulate.cli"]
T0 = datetime(2024, 4, 24, 14, 10, 16)
SENSOR_T0_NS = 767_000_000_000_000_000  # PMD clock (ns since 2000-01-01)
H10_HZ = 130
PER_NOTE = 73


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120)


def _medical() -> tuple[np.ndarray, np.ndarray]:
    ecg, belt, _ = pyphysio_medical()
    return ecg, belt


def _write_ecg(path: Path, uv: np.ndarray) -> None:
    rows = ["Phone timestamp;sensor timestamp [ns];timestamp [ms];ecg [uV]"]
    for i, v in enumerate(uv):
        arrival = T0 + timedelta(seconds=(i // PER_NOTE + 1) * PER_NOTE / H10_HZ + 0.02)
        phone = arrival.isoformat(timespec="milliseconds")
        rows.append(f"{phone};{SENSOR_T0_NS + round(i * 1e9 / H10_HZ)};{i * 1000 / H10_HZ:.3f};{v}")
    path.write_text("\n".join(rows) + "\n")


def test_ecg_alone_gives_neurokit2_s_r_peaks_as_beats_and_breathing_from_ecg(
    tmp_path: Path,
) -> None:
    import neurokit2 as nk
    from scipy.signal import resample_poly

    ecg, belt = _medical()
    uv = np.rint(resample_poly(ecg, H10_HZ, 2048) * 1000).astype(int)  # mV -> µV
    _write_ecg(tmp_path / "Polar_H10_ECG.txt", uv)
    session = tmp_path / "s.sqlite"
    run = _cli("import", "--ecg", str(tmp_path / "Polar_H10_ECG.txt"), "--out", str(session))
    assert run.returncode == 0, run.stderr
    db = sqlite3.connect(session)
    sql = "SELECT payload FROM messages WHERE topic = 'beat.client' ORDER BY id"
    beats = [json.loads(p) for (p,) in db.execute(sql)]
    n_frames = db.execute("SELECT count(*) FROM messages WHERE topic = 'ecg.client'").fetchone()
    db.close()
    assert n_frames[0] == -(-len(uv) // PER_NOTE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, info = nk.ecg_peaks(nk.ecg_clean(uv.astype(float), sampling_rate=H10_HZ), H10_HZ)
        belt_bpm = float(np.median(nk.rsp_process(belt, 2048)[0]["RSP_Rate"]))
    reference = np.asarray(info["ECG_R_Peaks"])
    t_ns = np.array([t for b in beats for t in b["t_ns"]])
    rr_ms = np.array([r for b in beats for r in b["rr_ms"]])
    # The session clock starts 2 s before the first notification, which carries samples
    # 0-72 and arrives 20 ms after its last one (the least delay: the clock offset).
    first_sample_ns = 2e9 - (PER_NOTE - 1) * 1e9 / H10_HZ
    idx = (t_ns - first_sample_ns) * H10_HZ / 1e9
    assert len(idx) == len(reference) - 1  # every peak but the first has an interval
    # Refined by at most half a sample; the file's phone times are whole ms (0.13 sample).
    assert np.max(np.abs(idx - reference[1:])) <= 0.5 + 0.13
    assert np.allclose(rr_ms[1:], np.diff(t_ns) / 1e6, atol=1e-3)
    assert beats[0]["gap_before"] and not any(b["gap_before"] for b in beats[1:])

    out = tmp_path / "a.json"
    run = _cli("analyze", str(session), "--json", str(out))
    assert run.returncode == 0, run.stderr
    client = json.loads(out.read_text())["client"]
    print("EDR", client["breathing_rate_bpm"], "belt", round(belt_bpm, 2))  # noqa: T201
    assert client["breathing_source"] == "ecg"
    assert abs(client["breathing_rate_bpm"] - belt_bpm) <= 1.5, (client, belt_bpm)
    assert client["movement_share"] is None


def test_import_without_a_file_or_ecg_is_a_usage_error(tmp_path: Path) -> None:
    run = _cli("import", "--out", str(tmp_path / "s.sqlite"))
    assert run.returncode == ex.USAGE and "--ecg" in run.stderr, run.stderr
    assert not (tmp_path / "s.sqlite").exists()


def test_an_ecg_without_heartbeats_is_one_line_and_nothing_is_written(tmp_path: Path) -> None:
    _write_ecg(tmp_path / "flat.txt", np.zeros(40 * H10_HZ, dtype=int))
    session = tmp_path / "s.sqlite"
    run = _cli("import", "--ecg", str(tmp_path / "flat.txt"), "--out", str(session))
    assert run.returncode == ex.BAD_INPUT and "no two successive R peaks" in run.stderr, run.stderr
    assert not session.exists()


def test_ecg_and_acc_files_alone_round_trip_through_analyze(tmp_path: Path) -> None:
    """Issue 17's done-when: a Polar Sensor Logger ECG + ACC import, no RR file.

    The beats come from the real ECG's R peaks; breathing comes from the ACC (the
    simulated chest at 7 breaths/min, outside 9-24), which wins over ECG-derived
    breathing once its frames arrive (docs/breathing.md).
    """
    from scipy.signal import resample_poly

    from coregulate.acquisition._sim_acc import AccScenario, simulate_acc

    ecg, _ = _medical()
    uv = np.rint(resample_poly(ecg, H10_HZ, 2048) * 1000).astype(int)
    _write_ecg(tmp_path / "Polar_H10_ECG.txt", uv)
    _, xyz = simulate_acc(AccScenario(len(uv) / H10_HZ, ((0.0, 7.0),), tilt_deg=0.7, seed=6))
    rows = ["Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]"]
    for i, (x, y, z) in enumerate(np.rint(xyz).astype(int)):
        arrival = T0 + timedelta(seconds=(i // 36 + 1) * 36 / 200 + 0.03)  # 36 a notification
        phone = arrival.isoformat(timespec="milliseconds")
        rows.append(f"{phone};{SENSOR_T0_NS + i * 5_000_000};{x};{y};{z}")
    (tmp_path / "Polar_H10_ACC.txt").write_text("\n".join(rows) + "\n")
    session = tmp_path / "s.sqlite"
    files = [
        "--ecg",
        str(tmp_path / "Polar_H10_ECG.txt"),
        "--acc",
        str(tmp_path / "Polar_H10_ACC.txt"),
    ]
    run = _cli("import", *files, "--out", str(session))
    assert run.returncode == 0, run.stderr
    out = tmp_path / "a.json"
    run = _cli("analyze", str(session), "--json", str(out))
    assert run.returncode == 0, run.stderr
    client = json.loads(out.read_text())["client"]
    assert client["n_beats"] > 100  # 120 s of a resting heart, from the R peaks
    assert client["breathing_source"] == "acc"
    assert abs(client["breathing_rate_bpm"] - 7.0) <= 1.0
    assert client["hf_outside_band_share"] == 1.0
    assert client["movement_share"] == 0.0
