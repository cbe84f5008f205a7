"""Per-person breathing and movement over a recorded session, from its accelerometer frames.

What `coregulate analyze` adds per person when the file holds ACC (`acc` view):
``breathing_rate_bpm`` (median over 60 s windows stepped by :data:`STEP_S`),
``breathing_source`` (``"acc"``), ``movement_share`` (share of 1 s epochs moving,
signal/movement.py) and ``hf_outside_band_share`` (share of the windows with a
rate whose breathing lies outside 9-24/min, where HF power and RSA are no vagal
index). Windows in which the person moved for more than :data:`MAX_MOVING_SHARE`
of the time give no rate (gestures swamp the chest's tilt). A file without ACC adds
nothing, so its analysis reads as before.

ECG-derived respiration is not used: on pyphysio's shipped ECG + respiration-belt
recording it missed the belt by a median 5 breaths/min (tests/test_breathing_edr.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Final

import numpy as np

from coregulate.recordings.export_acc import acc_arrays
from coregulate.sessionfile.access import open_readonly
from coregulate.signal.breathing import WINDOW_S, breathing_rate, decimate_blocks, hf_band_note
from coregulate.signal.movement import EPOCH_S, moving

STEP_S: Final = 10.0
MAX_MOVING_SHARE: Final = 0.2


def read_acc(path: str | os.PathLike[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Return each person's accelerometer samples: (t_ns, (n, 3) mg), oldest first."""
    db = open_readonly(Path(path))
    try:
        found = acc_arrays(db)
    finally:
        db.close()
    out = {}
    for role, (t_ns, mg) in sorted(found.items()):
        order = np.argsort(t_ns, kind="stable")
        out[role] = (t_ns[order], mg[order].astype(float))
    return out


def breathing_summary(t_ns: np.ndarray, xyz_mg: np.ndarray) -> dict[str, Any]:
    """Return the analyze keys for one person's accelerometer samples."""
    rate_hz = 1e9 / float(np.median(np.diff(t_ns))) if len(t_ns) > 1 else 0.0
    if rate_hz <= 0 or len(t_ns) < WINDOW_S * rate_hz:
        return {
            "breathing_rate_bpm": None,
            "breathing_source": None,
            "breathing_unavailable": f"under {WINDOW_S:.0f} s of accelerometer data",
            "movement_share": None,
            "hf_outside_band_share": None,
        }
    flags = moving(xyz_mg, rate_hz)
    dec, fs = decimate_blocks(xyz_mg, rate_hz)
    win, step = int(WINDOW_S * fs), int(STEP_S * fs)
    rates = []
    for start in range(0, len(dec) - win + 1, step):
        epochs = flags[int(start / fs / EPOCH_S) : int((start + win) / fs / EPOCH_S)]
        if epochs.size and epochs.mean() > MAX_MOVING_SHARE:
            continue
        est = breathing_rate(dec[start : start + win], fs)
        if est.rate_bpm is not None:
            rates.append(est.rate_bpm)
    outside = [hf_band_note(r) is not None for r in rates]
    return {
        "breathing_rate_bpm": round(float(np.median(rates)), 2) if rates else None,
        "breathing_source": "acc",
        "breathing_unavailable": None if rates else "no clear breathing rhythm in any window",
        "movement_share": round(float(flags.mean()), 4) if flags.size else None,
        "hf_outside_band_share": round(float(np.mean(outside)), 4) if rates else None,
    }


def breathing_by_role(path: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """Return breathing_summary per person who has accelerometer data in the file."""
    return {role: breathing_summary(t, xyz) for role, (t, xyz) in read_acc(path).items()}
