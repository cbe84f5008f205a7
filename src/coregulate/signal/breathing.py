"""Breathing rate from a chest accelerometer, and its validity for HF power and RSA.

Pure functions on arrays (numpy/scipy only). The chest wall tilts the strap a
degree or two with every breath, which moves gravity's projection between the
axes by tens of mg; the rate is read from that slow movement:

1. block means of the samples down to :data:`DECIMATED_HZ` (cheap per sample, and
   an anti-alias filter for the 0.1-0.7 Hz band);
2. per axis: mean removed, 2nd-order Butterworth band-pass :data:`BAND_HZ`
   (0.1-0.7 Hz = 6-42 breaths/min) run forwards and backwards (zero phase);
3. the axis with the most power in the band (the strap's orientation on the chest
   decides which one carries breathing);
4. the rate at the peak of its Hann-windowed periodogram, zero-padded to a
   0.005 Hz grid (0.3 breaths/min) and refined by a parabola through the peak; a
   peak holding under :data:`MIN_PEAK_SHARE` of the band's power is "no clear
   breathing rhythm" (talking, movement) and no rate is given.

Window :data:`WINDOW_S` (60 s: six breaths at the slowest rate, 6/min), so a rate
describes the last minute and lags a change by about half of it (30 s).
Breath-by-breath: the band-passed axis' peaks (:func:`breath_times_s`).

HF power (0.15-0.40 Hz) and RSA are vagal indices only while breathing stays in
the HF band (Grossman & Taylor 2007): :func:`hf_band_note` says when it does not.

Examples
--------
>>> hf_band_note(15.0) is None
True
>>> hf_band_note(6.2)
'breathing outside the HF band (6/min)'
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Final

import numpy as np

BAND_HZ: Final = (0.1, 0.7)
DECIMATED_HZ: Final = 10.0
WINDOW_S: Final = 60.0
MIN_WINDOW_S: Final = 30.0  # under this, too few breaths for a rate
# Share of the band power within ±0.03 Hz of the peak. White noise alone: median
# 0.24, 95th percentile 0.39, 99th 0.48 (300 seeds); the simulator's breathing
# alternating 12 and 18/min every 8 s: 0.57 (rate 15.0); steady breathing: 0.99.
MIN_PEAK_SHARE: Final = 0.45
GRID_HZ: Final = 0.005
# HF band 0.15-0.40 Hz (Task Force 1996) in breaths/min, the 9-24/min.
HF_BREATHING_BPM: Final = (9.0, 24.0)


@dataclass(frozen=True, slots=True)
class BreathingRate:
    """A breathing rate (breaths/min), or None with the reason; the axis it came from."""

    rate_bpm: float | None
    reason: str | None = None
    axis: int | None = None
    peak_share: float | None = None


def decimate_blocks(samples: np.ndarray, rate_hz: float) -> tuple[np.ndarray, float]:
    """Return `samples` (n, k) as means of blocks of ~1/DECIMATED_HZ s, and the new rate."""
    factor = max(1, round(rate_hz / DECIMATED_HZ))
    n = len(samples) // factor * factor
    blocks = np.asarray(samples[:n], dtype=float).reshape(n // factor, factor, -1)
    return blocks.mean(axis=1), rate_hz / factor


@functools.lru_cache(maxsize=8)
def _band_sos(fs_hz: float) -> np.ndarray:
    """Return the band-pass's sections for `fs_hz`, designed once (half of a live update)."""
    # SciPy only where accelerometer data exist: a session or an analysis without ACC
    # must not pay its import (tests/test_signal_spline.py holds the offline path to that).
    from scipy import signal as sps

    return sps.butter(2, BAND_HZ, btype="bandpass", fs=fs_hz, output="sos")


def _band_passed(x: np.ndarray, fs_hz: float) -> np.ndarray:
    from scipy import signal as sps

    # A copy: SciPy's filter wants a writable array, and the cached one stays untouched.
    return sps.sosfiltfilt(_band_sos(fs_hz).copy(), x - x.mean(axis=0), axis=0)


def breathing_rate(xyz: np.ndarray, fs_hz: float) -> BreathingRate:
    """Return the breathing rate of a window of (n, 3) accelerometer samples at `fs_hz`.

    Decimate first (:func:`decimate_blocks`) when `fs_hz` is far above 10 Hz.
    """
    x = np.asarray(xyz, dtype=float)
    if len(x) < MIN_WINDOW_S * fs_hz:
        return BreathingRate(None, f"under {MIN_WINDOW_S:.0f} s of accelerometer data")
    filtered = _band_passed(x, fs_hz)
    axis = int(np.argmax((filtered**2).sum(axis=0)))
    y = filtered[:, axis] * np.hanning(len(filtered))
    nfft = max(len(y), int(2 ** np.ceil(np.log2(fs_hz / GRID_HZ))))
    power = np.abs(np.fft.rfft(y, nfft)) ** 2
    freqs = np.fft.rfftfreq(nfft, 1 / fs_hz)
    band = (freqs >= BAND_HZ[0]) & (freqs <= BAND_HZ[1])
    idx = np.flatnonzero(band)
    k = int(idx[np.argmax(power[idx])])
    near = band & (np.abs(freqs - freqs[k]) <= 0.03)
    share = float(power[near].sum() / power[band].sum())
    if share < MIN_PEAK_SHARE:
        return BreathingRate(None, "no clear breathing rhythm", axis, share)
    a, b, c = np.log(power[k - 1 : k + 2] + 1e-30)
    shift = 0.5 * (a - c) / (a - 2 * b + c) if a - 2 * b + c < 0 else 0.0
    return BreathingRate(float((freqs[k] + shift * (freqs[1] - freqs[0])) * 60), None, axis, share)


def breath_times_s(xyz: np.ndarray, fs_hz: float, axis: int) -> np.ndarray:
    """Return the times (s from the window start) of each breath's peak on `axis`."""
    from scipy import signal as sps

    y = _band_passed(np.asarray(xyz, dtype=float), fs_hz)[:, axis]
    peaks, _ = sps.find_peaks(
        y, distance=max(1, int(fs_hz / BAND_HZ[1])), prominence=0.5 * float(np.std(y))
    )
    return peaks / fs_hz


def hf_band_note(rate_bpm: float | None) -> str | None:
    """Return "breathing outside the HF band (N/min)" when the rate leaves 9-24/min, else None."""
    if rate_bpm is None or HF_BREATHING_BPM[0] <= rate_bpm <= HF_BREATHING_BPM[1]:
        return None
    return f"breathing outside the HF band ({rate_bpm:.0f}/min)"
