"""Breathing rate from the ECG alone (ECG-derived respiration), for straps without ACC.

Breathing modulates the ECG two ways that a chest strap sees (Charlton et al. 2016,
Physiol Meas 37:610, the review of 314 ECG/PPG respiration algorithms):

- **amplitude (AM)**: the chest's expansion moves the electrodes against the heart
  and changes the thorax' impedance, so each beat's R-S amplitude rises and falls
  with the breath (Moody et al. 1985). It does not rely on the vagus, so it holds
  for slow breathing, where RSA (below) is large but no longer a sine;
- **frequency (FM)**: the heart speeds up on the in-breath and slows on the
  out-breath (respiratory sinus arrhythmia), seen in the RR intervals.

Each is sampled once per beat, resampled to :data:`RESAMPLED_HZ`, band-passed like
the accelerometer (signal/breathing.py, 0.1-0.7 Hz = 6-42/min) and its breaths
counted by "count-orig" (Schäfer & Kratky 2008, the breath detector of the best
algorithms in Charlton et al. 2016): relevant peaks above 0.2 x the upper quartile
of the maxima, relevant troughs below 0.2 x the lower quartile of the minima, and a
breath between two relevant peaks with exactly one relevant trough between them;
the rate is 60 / the mean breath length. The two rates are fused as in Karlen et
al. 2013 ("smart fusion"): their mean, unless their standard deviation exceeds
:data:`MAX_SD_BPM` (4 breaths/min), when the window gives no rate ("the ECG's
amplitude and heart-rate rhythms disagree").

The R-S amplitude is read at the vertex of a parabola through the three samples
around each extreme: at the Polar H10's 130 Hz (7.7 ms a sample) the sharp R peak's
sampled height would otherwise jitter with its phase against the sample clock by
more than breathing modulates it. R peaks are NeuroKit2's (``ecg_clean`` then
``ecg_peaks``, the definition of record in acquisition/ecg_beats.py). Baseline
wander, the third modulation, is not used: ``ecg_clean`` high-passes at 0.5 Hz,
which removes it.

Validation (tests/test_breathing_edr.py, two real ECG + respiration-belt
recordings that PyPI packages ship): median |EDR - belt| over 60 s windows 0.36
(pyphysio) and 0.67 (systole) breaths/min at the recordings' own rates, 0.59 and
0.82 at 130 Hz; docs/breathing.md has every method tried.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Final

import numpy as np

from coregulate.signal.breathing import MIN_WINDOW_S, BreathingRate, _band_passed

RESAMPLED_HZ: Final = 4.0  # beat series on a regular grid; > 2 x 0.7 Hz, the band's top
MAX_SD_BPM: Final = 4.0  # Karlen et al. 2013: estimates spread wider give no rate
R_HALF_S: Final = 0.04  # the R peak's sample is within ±40 ms of NeuroKit2's peak
S_AFTER_S: Final = 0.08  # the S wave's trough follows R within 80 ms (QRS ≤ 120 ms)
RR_RANGE_S: Final = (0.3, 2.0)  # 30-200 bpm; other intervals are missed or extra beats
MIN_BEATS: Final = 10


@dataclass(frozen=True, slots=True)
class BeatFeatures:
    """R-peak times (s from the signal's start) and each beat's R-S amplitude."""

    t_s: np.ndarray
    amp: np.ndarray


def _vertex(y: np.ndarray, i: int) -> float:
    """Return the height of the parabola's vertex through y[i-1], y[i], y[i+1]."""
    if i < 1 or i >= len(y) - 1:
        return float(y[i])
    a, b, c = float(y[i - 1]), float(y[i]), float(y[i + 1])
    den = a - 2 * b + c
    # Only a true extreme is refined (the window's edge or a shoulder keeps its sample).
    if den == 0 or not (min(a, c) >= b or max(a, c) <= b):
        return b
    return b - (a - c) ** 2 / (8 * den)


def beat_features(ecg: np.ndarray, fs_hz: float) -> BeatFeatures:
    """Return the R peaks (NeuroKit2) of `ecg` sampled at `fs_hz`, and their R-S amplitudes."""
    import neurokit2 as nk  # lazily: only a person with ECG and no ACC needs it

    x = np.asarray(ecg, dtype=float)
    if len(x) < 3 * fs_hz:
        return BeatFeatures(np.empty(0), np.empty(0))
    clean = np.asarray(nk.ecg_clean(x, sampling_rate=fs_hz), dtype=float)
    _, info = nk.ecg_peaks(clean, sampling_rate=fs_hz)
    w = max(1, round(R_HALF_S * fs_hz))
    s = max(2, round(S_AFTER_S * fs_hz))
    peaks = np.asarray(info["ECG_R_Peaks"], dtype=int)
    peaks = peaks[(peaks >= w) & (peaks < len(clean) - s - 1)]
    t_s, amp = [], []
    for p in peaks:
        r = p - w + int(np.argmax(clean[p - w : p + w + 1]))
        q = r + int(np.argmin(clean[r : r + s + 1]))
        t_s.append(r / fs_hz)
        amp.append(_vertex(clean, r) - _vertex(clean, q))
    return BeatFeatures(np.asarray(t_s), np.asarray(amp))


def count_orig_rate(y: np.ndarray, fs_hz: float) -> float | None:
    """Return the breathing rate (breaths/min) of a respiratory series by count-orig, or None."""
    from scipy import signal as sps

    z = _band_passed(np.asarray(y, dtype=float)[:, None], fs_hz)[:, 0]
    peaks, troughs = sps.argrelmax(z)[0], sps.argrelmin(z)[0]
    if len(peaks) < 2 or not len(troughs):
        return None
    peaks = peaks[z[peaks] > 0.2 * np.percentile(z[peaks], 75)]
    troughs = troughs[z[troughs] < 0.2 * np.percentile(z[troughs], 25)]
    cycles = [
        (b - a) / fs_hz
        for a, b in pairwise(peaks)
        if np.count_nonzero((troughs > a) & (troughs < b)) == 1
    ]
    return 60.0 / float(np.mean(cycles)) if cycles else None


def finite_runs(x: np.ndarray) -> list[tuple[int, int]]:
    """Return the [start, stop) index ranges of the unbroken runs of finite values in `x`."""
    edges = np.flatnonzero(np.diff(np.r_[0, np.isfinite(x).astype(np.int8), 0]))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _on_grid(t_s: np.ndarray, v: np.ndarray, t0_s: float, t1_s: float) -> np.ndarray:
    grid = np.arange(t0_s, t1_s, 1.0 / RESAMPLED_HZ)
    return np.interp(grid, t_s, v)


def edr_rate_from_beats(feats: BeatFeatures, t0_s: float, t1_s: float) -> BreathingRate:
    """Return the fused AM/FM breathing rate of the beats within [t0_s, t1_s)."""
    inside = (feats.t_s >= t0_s) & (feats.t_s < t1_s)
    t_s, amp = feats.t_s[inside], feats.amp[inside]
    if t1_s - t0_s < MIN_WINDOW_S:
        return BreathingRate(None, f"under {MIN_WINDOW_S:.0f} s of ECG")
    if len(t_s) < MIN_BEATS:
        return BreathingRate(None, "too few R peaks in the ECG")
    rr_s = np.diff(t_s)
    ok = (rr_s >= RR_RANGE_S[0]) & (rr_s <= RR_RANGE_S[1])
    if np.count_nonzero(ok) < MIN_BEATS:
        return BreathingRate(None, "too few plausible heartbeats in the ECG")
    am = count_orig_rate(_on_grid(t_s, amp, t0_s, t1_s), RESAMPLED_HZ)
    fm = count_orig_rate(_on_grid(t_s[1:][ok], rr_s[ok], t0_s, t1_s), RESAMPLED_HZ)
    if am is None or fm is None:
        return BreathingRate(None, "no clear breathing rhythm in the ECG")
    if float(np.std([am, fm])) > MAX_SD_BPM:
        return BreathingRate(
            None, f"the ECG's amplitude and heart-rate rhythms disagree ({am:.0f}, {fm:.0f}/min)"
        )
    return BreathingRate((am + fm) / 2.0)


def edr_rate(ecg: np.ndarray, fs_hz: float) -> BreathingRate:
    """Return the breathing rate of one window of ECG (all of `ecg`) sampled at `fs_hz`."""
    return edr_rate_from_beats(beat_features(ecg, fs_hz), 0.0, len(ecg) / fs_hz)
