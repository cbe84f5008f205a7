"""Movement and posture changes from a chest accelerometer: when heart rate is not arousal.

Pure functions on arrays. The movement index of a stretch of :data:`EPOCH_S`
seconds is the standard deviation of the acceleration's magnitude over it (mg):
the mean magnitude (gravity, 1000 mg, whatever the strap's orientation) drops out,
and so does breathing, which tilts the strap without changing the magnitude
(rotation keeps |g|). Sitting still leaves sensor noise and the heartbeat's jolt,
a few mg; shifting, gesturing or standing up give tens to hundreds.

Threshold :data:`MOVING_MG` = 35 mg: the light-activity cut-off of hip-worn
accelerometers in adults (ENMO 35.6 mg, Hildebrand et al. 2014, Med Sci Sports
Exerc 46:1816), borrowed for a chest strap until it is calibrated on H10
recordings; the simulator's resting strap (5 mg noise + 5 mg heartbeat) gives
about 6 mg, its gestures 150 mg RMS per axis. A posture change is the mean gravity
direction turning by more than :data:`POSTURE_DEG` within two epochs (20°,
well above the 1-2° of a breath and below sitting-to-leaning, about 30°).

Examples
--------
>>> import numpy as np
>>> still = np.tile([0.0, -1000.0, 0.0], (400, 1))
>>> movement_index_mg(still, 200.0).tolist()
[0.0, 0.0]
"""

from __future__ import annotations

from typing import Final

import numpy as np

EPOCH_S: Final = 1.0
MOVING_MG: Final = 35.0
POSTURE_DEG: Final = 20.0


def _epochs(xyz: np.ndarray, fs_hz: float) -> np.ndarray:
    """Return `xyz` (n, 3) cut into whole epochs: (n_epochs, samples_per_epoch, 3)."""
    size = max(1, round(EPOCH_S * fs_hz))
    n = len(xyz) // size * size
    return np.asarray(xyz[:n], dtype=float).reshape(n // size, size, 3)


def movement_index_mg(xyz: np.ndarray, fs_hz: float) -> np.ndarray:
    """Return each whole epoch's SD of the acceleration magnitude (mg)."""
    epochs = _epochs(xyz, fs_hz)
    return np.sqrt((epochs**2).sum(axis=2)).std(axis=1)


def posture_change(xyz: np.ndarray, fs_hz: float) -> np.ndarray:
    """Return, per epoch, whether gravity turned more than POSTURE_DEG across it.

    Epoch i is compared with epoch i-2 (a turn spread over two epochs still counts),
    and both epochs i-1 and i are marked.
    """
    g = _epochs(xyz, fs_hz).mean(axis=1)
    g /= np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-9)
    out = np.zeros(len(g), dtype=bool)
    if len(g) < 3:
        return out
    cos = np.clip((g[2:] * g[:-2]).sum(axis=1), -1.0, 1.0)
    turned = np.flatnonzero(np.degrees(np.arccos(cos)) > POSTURE_DEG) + 2
    out[turned] = True
    out[turned - 1] = True
    return out


def moving(xyz: np.ndarray, fs_hz: float) -> np.ndarray:
    """Return, per epoch, whether the person is moving (index over MOVING_MG or posture change)."""
    return (movement_index_mg(xyz, fs_hz) > MOVING_MG) | posture_change(xyz, fs_hz)
