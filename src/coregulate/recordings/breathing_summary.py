"""Per-person breathing and movement over a recorded session, from its accelerometer frames.

What `coregulate analyze` adds per person when the file holds ACC (`acc` view):
``breathing_rate_bpm`` (median over 60 s windows stepped by :data:`STEP_S`),
``breathing_source`` (``"acc"``), ``movement_share`` (share of 1 s epochs moving,
signal/movement.py) and ``hf_outside_band_share`` (share of the windows with a
rate whose breathing lies outside 9-24/min, where HF power and RSA are no vagal
index). Windows in which the person moved for more than :data:`MAX_MOVING_SHARE`
of the time give no rate (gestures swamp the chest's tilt). A file without ACC adds
nothing, so its analysis reads as before.

A person with ECG but no ACC gets the rate from ECG-derived respiration
(signal/edr.py, ``breathing_source`` ``"ecg"``; within 1.5 breaths/min of a
respiration belt on two real recordings, tests/test_breathing_edr.py), over the same
windows; windows with missing ECG samples give no rate, and ``movement_share`` is
None (the ECG cannot tell).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Final

import numpy as np

from coregulate.recordings.export_acc import acc_arrays
from coregulate.sessionfile.access import open_readonly
from coregulate.signal.breathing import WINDOW_S, breathing_rate, decimate_blocks, hf_band_note
from coregulate.signal.edr import BeatFeatures, beat_features, edr_rate_from_beats, finite_runs
from coregulate.signal.movement import EPOCH_S, moving

STEP_S: Final = 10.0
MAX_MOVING_SHARE: Final = 0.2


def _read(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Return each person's decoded ACC arrays and raw ECG frames (arrival ns, bytes)."""
    db = open_readonly(Path(path))
    try:
        acc = acc_arrays(db)
        ecg: dict[str, list[tuple[int, bytes]]] = {}
        for role, t_ns, frame in db.execute("SELECT role, t_ns, frame FROM ecg ORDER BY t_ns"):
            if isinstance(frame, bytes):  # PMD frames; an LSL stream's ECG is not one
                ecg.setdefault(role, []).append((int(t_ns), frame))
    finally:
        db.close()
    return acc, ecg


def read_acc(path: str | os.PathLike[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Return each person's accelerometer samples: (t_ns, (n, 3) mg), oldest first."""
    return _sorted_acc(_read(path)[0])


def _sorted_acc(found: dict[str, Any]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
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


def ecg_breathing_summary(uv: np.ndarray, fs_hz: float) -> dict[str, Any]:
    """Return the analyze keys for one person's ECG (µV on a regular grid, NaN where missing)."""
    finite = np.isfinite(uv)
    win, step = int(WINDOW_S * fs_hz), int(STEP_S * fs_hz)
    rates: list[float] = []
    reason = f"under {WINDOW_S:.0f} s of ECG"
    if len(uv) >= win:
        feats = _run_features(uv, fs_hz)
        reason = "no clear breathing rhythm in the ECG in any window"
        for start in range(0, len(uv) - win + 1, step):
            if not finite[start : start + win].all():
                continue  # lost frames: the beats around the hole would be guessed
            est = edr_rate_from_beats(feats, start / fs_hz, start / fs_hz + WINDOW_S)
            if est.rate_bpm is not None:
                rates.append(est.rate_bpm)
    outside = [hf_band_note(r) is not None for r in rates]
    return {
        "breathing_rate_bpm": round(float(np.median(rates)), 2) if rates else None,
        "breathing_source": "ecg",
        "breathing_unavailable": None if rates else reason,
        "movement_share": None,
        "hf_outside_band_share": round(float(np.mean(outside)), 4) if rates else None,
    }


def _run_features(uv: np.ndarray, fs_hz: float) -> BeatFeatures:
    """Return the beat features of every unbroken run of ECG samples, on one time axis."""
    t_s, amp = [], []
    for a, b in finite_runs(uv):
        feats = beat_features(uv[a:b], fs_hz)
        t_s.append(feats.t_s + a / fs_hz)
        amp.append(feats.amp)
    if not t_s:
        return BeatFeatures(np.empty(0), np.empty(0))
    return BeatFeatures(np.concatenate(t_s), np.concatenate(amp))


def breathing_by_role(path: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """Return breathing_summary per person with ACC, or from the ECG for those with only ECG."""
    from coregulate.acquisition.pmd import ECG_RATE_HZ
    from coregulate.recordings.export_bids import ecg_on_grid

    acc, ecg = _read(path)
    out = {role: breathing_summary(t, xyz) for role, (t, xyz) in _sorted_acc(acc).items()}
    for role in sorted(set(ecg) - set(out)):
        _, uv = ecg_on_grid(ecg[role])
        out[role] = ecg_breathing_summary(uv, ECG_RATE_HZ)
    return out
