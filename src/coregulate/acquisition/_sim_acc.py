"""Simulated chest accelerometer with known breathing, movement and posture (ground truth).

A strap on the sternum sees gravity (1000 mg) plus: a tilt of `tilt_deg` with each
breath (the chest wall rotates the strap about its left-right axis), a heartbeat's
small jolt (seismocardiogram, `cardiac_mg` at `heart_hz`), white sensor noise, and
during movement episodes band-limited (0.5-3 Hz) accelerations of `movement_mg`
RMS per axis. A posture change rotates the strap by its angle over one second.
Units mg; one row per sample, columns x (left-right), y (head-foot), z (front-back).
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Iterable, Iterator
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


_BLOCK = 36 * 50  # samples made at a time: 50 frames, 9 s at 200 Hz


@functools.lru_cache(maxsize=8)
def movement_shake(scn: AccScenario) -> tuple[np.ndarray, np.ndarray]:
    """Return (sample indices, (k, 3) mg) of the shake added during the movement episodes.

    Band-limited (0.5-3 Hz) noise of `movement_mg` RMS per axis over the session,
    drawn from the scenario's generator after the sensor noise of every sample
    (the draws `simulate_acc` always made). Made before the session clock starts
    (acquisition/specs.py `prepare`): 0.3 s for 90 min.
    """
    n = int(scn.duration_s * scn.rate_hz)
    t = np.arange(n) / scn.rate_hz
    moving = np.zeros(n, dtype=bool)
    for start, end in scn.movements:
        moving |= (t >= start) & (t < end)
    if not moving.any():
        return np.empty(0, dtype=np.int64), np.empty((0, 3))
    rng = np.random.default_rng(scn.seed)
    for lo in range(0, n, 100_000):  # past the sensor noise (the same stream in chunks)
        rng.normal(0.0, scn.noise_mg, (min(100_000, n - lo), 3))
    sos = sps.butter(2, (0.5, 3.0), btype="bandpass", fs=scn.rate_hz, output="sos")
    shake = sps.sosfilt(sos, rng.normal(0.0, 1.0, (n, 3)), axis=0)
    shake *= scn.movement_mg / shake.std()
    return np.flatnonzero(moving), shake[moving]


class AccStream:
    """A scenario's samples in time order, made a block at a time as they are asked for.

    A simulated strap takes them while the session runs, as a real strap measures
    them. Made up front, a 90 min session's ACC took about 3 s per person while the
    session clock ran on (at speed 100: the straps started minutes late, in a burst).
    `simulate_acc` joins the same blocks: its ground truth is what a strap sends.
    """

    def __init__(self, scn: AccScenario) -> None:
        self.scn = scn
        self.n = int(scn.duration_s * scn.rate_hz)
        self.done = 0  # samples made so far
        self._rng = np.random.default_rng(scn.seed)  # the sensor noise, block by block
        self._cycles = 0.0  # breathing phase so far (cycles times rate_hz)
        self._shake_at, self._shake_mg = movement_shake(scn)

    def block(self) -> tuple[np.ndarray, np.ndarray]:
        """Return (t_s, xyz_mg) of the next block: up to `_BLOCK` samples, empty at the end."""
        scn, lo = self.scn, self.done
        hi = min(self.n, lo + _BLOCK)
        self.done = hi
        t = np.arange(lo, hi) / scn.rate_hz
        # Summed on from the last block's total: the same sums as one cumsum over all.
        cycles = np.cumsum(np.concatenate(([self._cycles], scn.rate_at(t) / 60.0)))[1:]
        if len(t):
            self._cycles = float(cycles[-1])
        phase = 2 * np.pi * cycles / scn.rate_hz
        angle = np.radians(_posture_deg(scn, t) + scn.tilt_deg * np.sin(phase))
        xyz = np.zeros((len(t), 3))
        xyz[:, 1] = -1000.0 * np.cos(angle)  # upright: gravity along -y
        xyz[:, 2] = 1000.0 * np.sin(angle)
        xyz[:, 2] += scn.cardiac_mg * np.sin(2 * np.pi * scn.heart_hz * t) ** 8
        xyz += self._rng.normal(0.0, scn.noise_mg, (len(t), 3))
        k_lo, k_hi = np.searchsorted(self._shake_at, (lo, hi))
        xyz[self._shake_at[k_lo:k_hi] - lo] += self._shake_mg[k_lo:k_hi]
        return t, xyz


def simulate_acc(scn: AccScenario) -> tuple[np.ndarray, np.ndarray]:
    """Return (t_s, xyz_mg): sample times from 0 and the (n, 3) accelerations in mg."""
    stream = AccStream(scn)
    blocks = [stream.block() for _ in range(-(-stream.n // _BLOCK))]
    if not blocks:
        return np.empty(0), np.empty((0, 3))
    return np.concatenate([b[0] for b in blocks]), np.concatenate([b[1] for b in blocks])


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


def acc_frames(scn: AccScenario, role: str) -> Iterator[StrapEvent]:
    """Yield the scenario's ACC frames (raw PMD bytes) in arrival order, made as they are asked for.

    36 samples a frame, stamped by the strap's clock at the last one, arriving
    `_LATENCY_NS` after it (a last partial frame is never sent).
    """
    from coregulate.acquisition.pmd_acc import encode_acc_frame

    stream = AccStream(scn)
    while stream.done < stream.n:
        first = stream.done  # blocks are whole frames: _BLOCK is a multiple of _PER_FRAME
        _, xyz = stream.block()
        mg = np.clip(np.rint(xyz), -32768, 32767).astype(int).tolist()
        for end in range(_PER_FRAME, len(mg) + 1, _PER_FRAME):
            last_ns = round((first + end - 1) * 1e9 / scn.rate_hz)
            samples = [tuple(s) for s in mg[end - _PER_FRAME : end]]
            frame = encode_acc_frame(_PMD_T0_NS + last_ns, samples)
            yield StrapEvent(role, "acc frame", last_ns + _LATENCY_NS, frame)  # sim_source


def merge_acc_frames(
    events: Iterable[StrapEvent], scn: AccScenario, role: str
) -> Iterator[StrapEvent]:
    """Yield `events` (in arrival order) with the scenario's ACC frames merged in, lazily.

    At equal arrival times the strap's own event comes first.
    """
    return heapq.merge(events, acc_frames(scn, role), key=lambda e: e.arrival_ns)
