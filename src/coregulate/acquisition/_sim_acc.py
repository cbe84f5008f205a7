"""Simulated chest accelerometer with known breathing, movement and posture (ground truth).

A strap on the sternum sees gravity (1000 mg) plus: a tilt of `tilt_deg` with each
breath (the chest wall rotates the strap about its left-right axis), a heartbeat's
small jolt (seismocardiogram, `cardiac_mg` at `heart_hz`), white sensor noise, and
during movement episodes band-limited (0.5-3 Hz) accelerations of `movement_mg`
RMS per axis. A posture change rotates the strap by its angle over one second.
Units mg; one row per sample, columns x (left-right), y (head-foot), z (front-back).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal as sps


@dataclass(frozen=True, slots=True)
class AccScenario:
    """What the simulated accelerometer does.

    `breathing` is ((start_s, breaths_per_min), ...) in time order: the rate from
    each start on. `movements` are (start_s, end_s) episodes; `postures` are
    (t_s, degrees) tilts applied from t_s on (cumulative).
    """

    duration_s: float
    breathing: tuple[tuple[float, float], ...] = ((0.0, 15.0),)
    rate_hz: float = 200.0
    tilt_deg: float = 1.5
    noise_mg: float = 5.0
    cardiac_mg: float = 5.0
    heart_hz: float = 1.2
    movement_mg: float = 150.0
    movements: tuple[tuple[float, float], ...] = ()
    postures: tuple[tuple[float, float], ...] = ()
    seed: int = 0

    def rate_at(self, t_s: np.ndarray) -> np.ndarray:
        """Return the true breathing rate (breaths/min) at each time."""
        starts = np.array([s for s, _ in self.breathing])
        rates = np.array([r for _, r in self.breathing])
        return rates[np.searchsorted(starts, t_s, side="right") - 1]

    def moving_at(self, t_s: np.ndarray) -> np.ndarray:
        """Return True where a movement episode or a posture change is under way."""
        out = np.zeros(len(t_s), dtype=bool)
        for start, end in self.movements:
            out |= (t_s >= start) & (t_s < end)
        for t0, _ in self.postures:
            out |= (t_s >= t0) & (t_s < t0 + 1.0)
        return out


def _posture_deg(scn: AccScenario, t_s: np.ndarray) -> np.ndarray:
    angle = np.zeros(len(t_s))
    for t0, deg in scn.postures:
        angle += deg * np.clip(t_s - t0, 0.0, 1.0)  # over one second
    return angle


def simulate_acc(scn: AccScenario) -> tuple[np.ndarray, np.ndarray]:
    """Return (t_s, xyz_mg): sample times from 0 and the (n, 3) accelerations in mg."""
    rng = np.random.default_rng(scn.seed)
    n = int(scn.duration_s * scn.rate_hz)
    t = np.arange(n) / scn.rate_hz
    phase = 2 * np.pi * np.cumsum(scn.rate_at(t) / 60.0) / scn.rate_hz
    angle = np.radians(_posture_deg(scn, t) + scn.tilt_deg * np.sin(phase))
    xyz = np.zeros((n, 3))
    xyz[:, 1] = -1000.0 * np.cos(angle)  # upright: gravity along -y
    xyz[:, 2] = 1000.0 * np.sin(angle)
    xyz[:, 2] += scn.cardiac_mg * np.sin(2 * np.pi * scn.heart_hz * t) ** 8
    xyz += rng.normal(0.0, scn.noise_mg, (n, 3))
    moving = np.zeros(n, dtype=bool)
    for start, end in scn.movements:
        moving |= (t >= start) & (t < end)
    if moving.any():
        sos = sps.butter(2, (0.5, 3.0), btype="bandpass", fs=scn.rate_hz, output="sos")
        shake = sps.sosfilt(sos, rng.normal(0.0, 1.0, (n, 3)), axis=0)
        shake *= scn.movement_mg / shake.std()
        xyz[moving] += shake[moving]
    return t, xyz
