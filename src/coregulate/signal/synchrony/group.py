"""Group synchrony of 3-6 people: the cluster-phase order parameter rho of heart-rate phases.

Richardson, Garcia, Frank, Gergor & Marsh (2012), "Measuring group synchrony: a
cluster-phase method for analyzing multivariate movement time-series" (Frontiers in
Physiology 3:405). For N people with phases φ_k(t) over a window:

    q(t)      = arg( (1/N) Σ_k exp(i φ_k(t)) )              the cluster phase
    φ̄_k       = arg( mean_t exp(i (φ_k(t) − q(t))) )         each person's mean offset
    ρ(t)      = | (1/N) Σ_k exp(i (φ_k(t) − q(t) − φ̄_k)) |   the group at time t
    rho       = mean_t ρ(t)                                  in [0, 1]

Because each person's own mean offset φ̄_k is removed, a person who follows the
group a constant phase later still counts as synchronized (the Kuramoto order
parameter |mean_k exp(i φ_k)| would count a steady lag against the group). This is
multiSyncPy's `synchrony_metrics.rho` (tested equal on the same phases).

The phases: each person's heart rate over the window (the synchrony grid, 4 Hz),
linearly detrended, band-passed to 0.02-0.1 Hz (slow heart-rate changes, below
breathing; docs/synchrony.md says why this band) by the zero-phase magnitude |H(f)|² of a 2nd-order
Butterworth band-pass (what `sosfiltfilt` applies), and turned into the analytic
signal in the same FFT (the Hilbert transform); `edge_s` at each end of the window
are dropped (circular-filter and Hilbert edge effects). Everything a window uses lies
inside it, so the live value is published once the window is complete and equals the
offline one.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

INDEX_NAME = "cluster_phase_rho"
MIN_GROUP = 3  # fewest people with heart rate in a window for a group value


@dataclass(frozen=True)
class GroupParams:
    """How the group index is computed and calibrated (every field is in each message).

    Attributes
    ----------
    window_s : float
        Window of the index (180 s: 3.6 periods of the band's low edge).
    band_hz : tuple of float
        Band of the heart-rate phases (0.02-0.1 Hz: the slow heart-rate changes
        people share, below breathing; the pairs' phase band starts at 0.02 Hz too).
    edge_s : float
        Dropped at each end of a window before rho is averaged (edge effects).
    chance_min_blocks, chance_max_blocks : int
        The chance band: the session is cut into non-overlapping blocks of
        `window_s`; pseudo windows take each person's phases from a different block
        (the people's series shifted against each other in time). Given from
        max(`chance_min_blocks`, N) gap-free blocks, over the latest `chance_max_blocks`.
    n_pseudo : int
        Pseudo windows drawn per refresh of the band (one per completed block).
    seed : int
        Seed of those draws (seeded by the block count: live = offline).
    """

    index: str = INDEX_NAME
    window_s: float = 180.0
    band_hz: tuple[float, float] = (0.02, 0.1)
    edge_s: float = 20.0
    chance_min_blocks: int = 5
    chance_max_blocks: int = 30
    n_pseudo: int = 200
    seed: int = 0

    def __post_init__(self) -> None:
        low, high = self.band_hz
        if not 0 < low < high:
            raise ValueError(f"band_hz must satisfy 0 < low < high, got {self.band_hz}")
        if not (math.isfinite(self.window_s) and self.window_s > 2 * self.edge_s >= 0):
            raise ValueError("window_s must be longer than twice edge_s")
        if not 2 <= self.chance_min_blocks <= self.chance_max_blocks or self.n_pseudo < 20:
            raise ValueError("chance blocks: 2 <= min <= max; n_pseudo >= 20")

    def to_dict(self) -> dict[str, Any]:
        """Return every parameter as JSON-ready data."""
        out = asdict(self)
        out["band_hz"] = list(self.band_hz)
        return out


GROUP_PARAMS = GroupParams()


def band_gain(n: int, fs: float, band_hz: tuple[float, float]) -> np.ndarray:
    """Return the analytic-signal gain per FFT bin: 2|H(f)|² for f > 0, 0 otherwise.

    |H|² is the zero-phase magnitude of a 2nd-order Butterworth band-pass applied
    forward and backward (as `scipy.signal.sosfiltfilt` with `butter(2, band)`),
    written out: the bilinear transform maps f to Ω = tan(π f / fs), and the
    band-pass of a 2nd-order low-pass prototype has 1 / (1 + x⁴) with
    x = (Ω² − Ω_lo Ω_hi) / (Ω (Ω_hi − Ω_lo)) (equal to scipy's response, tested;
    no SciPy import on the live path). Doubling the positive frequencies and
    dropping the negative ones gives the analytic signal (Hilbert).
    """
    freqs = np.fft.fftfreq(n, d=1.0 / fs)
    gain = np.zeros(n)
    positive = (freqs > 0) & (freqs < fs / 2)
    omega = np.tan(np.pi * freqs[positive] / fs)
    lo, hi = (math.tan(math.pi * f / fs) for f in band_hz)
    x = (omega * omega - lo * hi) / (omega * (hi - lo))
    gain[positive] = 2.0 / (1.0 + x**4)
    return gain


def band_phasors_rows(
    segments: np.ndarray, gain: np.ndarray, edge: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return unit phasors exp(iφ) (people x kept samples) and which people's rows hold.

    `segments` is (people, window samples) of the grid; `gain` from `band_gain`;
    `edge` samples are dropped at each end. A row with a gap, or without oscillation
    in the band (its phase undefined), is not ok (its phasors are meaningless).
    """
    n = segments.shape[-1]
    finite = np.isfinite(segments).all(axis=-1)
    values = np.where(finite[:, None], segments, 0.0)
    t = np.arange(n) - (n - 1) / 2.0
    centred = values - values.mean(axis=-1, keepdims=True)
    slope = (centred @ t) / float(t @ t)
    detrended = centred - slope[:, None] * t[None, :]
    analytic = np.fft.ifft(np.fft.fft(detrended, axis=-1) * gain, axis=-1)[:, edge : n - edge]
    amplitude = np.abs(analytic)
    scale = 1.0 + np.abs(values).max(axis=-1, keepdims=True)
    ok = finite & (amplitude > 1e-12 * scale).all(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return analytic / amplitude, ok


def band_phasors(segments: np.ndarray, gain: np.ndarray, edge: int) -> np.ndarray | None:
    """Return unit phasors exp(iφ) (people x kept samples), or None if any row is not ok."""
    phasors, ok = band_phasors_rows(segments, gain, edge)
    return phasors if ok.all() else None


def cluster_phase_rho(phasors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (ρ(t), rho) of unit phasors shaped (..., people, samples) (Richardson 2012).

    Leading axes are independent windows (the chance band's pseudo windows).
    """
    q = phasors.mean(axis=-2, keepdims=True)
    q = q / np.abs(q)
    relative = phasors * np.conj(q)  # exp(i(φ_k − q))
    offset = relative.mean(axis=-1, keepdims=True)
    offset = offset / np.abs(offset)  # exp(i φ̄_k)
    rho_t = np.abs((relative * np.conj(offset)).mean(axis=-2))
    return rho_t, rho_t.mean(axis=-1)


def rho_of_phases(phases: np.ndarray) -> tuple[np.ndarray, float]:
    """Return (ρ(t), rho) of phases in radians shaped (people, samples)."""
    rho_t, rho = cluster_phase_rho(np.exp(1j * np.asarray(phases, dtype=float)))
    return rho_t, float(rho)
