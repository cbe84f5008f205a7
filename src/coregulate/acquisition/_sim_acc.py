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

from coregulate.acquisition._sim_config import DyadConfig
from coregulate.acquisition._sim_group import GroupConfig
from coregulate.acquisition._sim_strap import StrapEvent


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


_PER_FRAME = 36  # samples per H10 ACC notification at 200 Hz
_LATENCY_NS = 30_000_000
_PMD_T0_NS = 800_000_000 * 10**9  # the strap's clock at session start (ns since 2000)


def scenario_for(config: DyadConfig | GroupConfig, role: str) -> AccScenario:
    """Return a simulated person's ACC: their breathing rate, a gesture and a posture change.

    Breathing runs at the profile's `breathing_hz` (the RSA's mean rate); 10 s of
    gestures at 40 % of the session and a 30° lean at 70 % are the movement truth.
    Each person's sensor noise has its own seed (the dyad's: seed * 2 + 0 or 1).
    """
    profile = config.profile_of(role)
    d = config.duration_s
    return AccScenario(
        d,
        ((0.0, profile.breathing_hz * 60.0),),
        tilt_deg=0.7,
        movements=((0.4 * d, 0.4 * d + 10.0),),
        postures=((0.7 * d, 30.0),),
        seed=config.seed * len(config.keys) + config.keys.index(role),
    )


def merge_acc_frames(events: list[StrapEvent], scn: AccScenario, role: str) -> list[StrapEvent]:
    """Return `events` with the scenario's ACC frames (raw PMD bytes) merged in arrival order."""
    from coregulate.acquisition.pmd_acc import encode_acc_frame

    _, xyz = simulate_acc(scn)
    mg = np.clip(np.rint(xyz), -32768, 32767).astype(int).tolist()
    frames = []
    for end in range(_PER_FRAME, len(mg) + 1, _PER_FRAME):
        last_ns = round((end - 1) * 1e9 / scn.rate_hz)
        frame = encode_acc_frame(
            _PMD_T0_NS + last_ns, [tuple(s) for s in mg[end - _PER_FRAME : end]]
        )
        frames.append(StrapEvent(role, "acc frame", last_ns + _LATENCY_NS, frame))  # sim_source
    return sorted([*events, *frames], key=lambda e: e.arrival_ns)
