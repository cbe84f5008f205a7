"""Respiratory sinus arrhythmia by the Porges–Bohrer method, on heart period (ms).

Porges, S. W., & Bohrer, R. E. (1990). The analysis of periodic processes in
psychophysiological research. In J. T. Cacioppo & L. G. Tassinary (Eds.),
Principles of Psychophysiology (pp. 708-753). Steps as summarised by Lewis, Furman,
McCool & Porges (2012), Biological Psychology 89(2), 349-364:

1. heart period (ms) time-sampled at 2 Hz (here: a quintic interpolating spline
   through the beats; linear interpolation, and less so a cubic spline, attenuate
   the band by an amount that depends on heart rate, docs/metrics.md);
2. a 21-point moving cubic polynomial (Savitzky–Golay) fitted and subtracted, which
   removes slow trends; only points with a full 21-point neighbourhood are kept;
3. band-pass 0.12–0.40 Hz (the band of spontaneous breathing in adults): here a
   linear-phase FIR filter (61 taps, Hamming window; only fully overlapped outputs);
4. the natural log of the variance (ms²) of the filtered series in each 30 s epoch;
5. the mean over the epochs.

NeuroKit2's ``hrv_rsa`` needs a respiration signal and applies its Porges–Bohrer
variant to heart period in ms (it converts its heart rate back to period, 0.3.0);
docs/metrics.md compares the two.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np

from coregulate.signal.spline import quintic_spline

RSA_FS_HZ: Final = 2.0
DETREND_POINTS: Final = 21
DETREND_ORDER: Final = 3
RSA_BAND_HZ: Final = (0.12, 0.40)
FIR_TAPS: Final = 61
EPOCH_S: Final = 30.0


def savgol_smoother(points: int, order: int) -> np.ndarray:
    """Return the Savitzky–Golay weights that give a centred polynomial fit's value.

    The least-squares fit of a polynomial of `order` to `points` equally spaced
    samples, evaluated at the centre, is a weighted sum of the samples; the weights
    are the first row of the fit's pseudo-inverse (Savitzky & Golay 1964). Equal to
    ``scipy.signal.savgol_coeffs(points, order)`` (tests/test_signal_rsa.py).
    """
    z = np.arange(points) - (points - 1) / 2.0
    return np.linalg.pinv(np.vander(z, order + 1, increasing=True))[0]


def bandpass_fir(taps: int, band_hz: tuple[float, float], fs_hz: float) -> np.ndarray:
    """Return a linear-phase band-pass FIR filter: windowed sinc, Hamming window.

    The ideal band-pass impulse response (difference of two low-passes) times a
    symmetric Hamming window, scaled to unit gain at the band's centre frequency:
    ``scipy.signal.firwin(taps, band_hz, pass_zero=False, fs=fs_hz)``
    (tests/test_signal_rsa.py checks the two agree).
    """
    lo, hi = (f / (fs_hz / 2.0) for f in band_hz)  # as fractions of Nyquist
    m = np.arange(taps) - (taps - 1) / 2.0
    h = hi * np.sinc(hi * m) - lo * np.sinc(lo * m)
    h *= 0.54 - 0.46 * np.cos(2.0 * np.pi * np.arange(taps) / (taps - 1))
    return h / np.sum(h * np.cos(np.pi * m * 0.5 * (lo + hi)))


# Subtracting the cubic fit at the centre point is one FIR filter: identity minus
# the Savitzky–Golay smoother. Symmetric, so convolution and correlation agree.
# (NumPy, not scipy.signal: its import costs more than an hour's offline analysis.)
_DETREND = -savgol_smoother(DETREND_POINTS, DETREND_ORDER)
_DETREND[DETREND_POINTS // 2] += 1.0
_BANDPASS = bandpass_fir(FIR_TAPS, RSA_BAND_HZ, RSA_FS_HZ)
# Both steps are linear and shift-invariant on the fully overlapped part: one kernel.
_KERNEL = np.convolve(_DETREND, _BANDPASS)


def rsa_filtered_ms(t_s: np.ndarray, nn_ms: np.ndarray) -> np.ndarray:
    """Return the detrended, band-passed heart period (ms) at 2 Hz (steps 1-3).

    The series is sampled on ``t_s[0] + k / 2`` up to the last beat with a quintic
    interpolating spline through (end time, interval) of each beat (SciPy's
    ``make_interp_spline(k=5)``); the output keeps only samples whose filters saw
    real data on both sides (the first and last 20 s, so the spline's end
    conditions never reach the output).
    """
    t = np.asarray(t_s, dtype=float)
    grid = np.arange(t[0], t[-1], 1.0 / RSA_FS_HZ)
    if grid.size < _KERNEL.size:
        return np.zeros(0)
    hp = quintic_spline(t, np.asarray(nn_ms, dtype=float), grid)
    return np.convolve(hp, _KERNEL, mode="valid")


def rsa_ln_ms2(t_s: np.ndarray, nn_ms: np.ndarray, epoch_s: float = EPOCH_S) -> float:
    """Return Porges–Bohrer RSA, ln(ms²): mean over whole 30 s epochs of ln(variance).

    Epochs are counted back from the newest filtered sample (the most recent data
    always count); a remainder shorter than an epoch at the start is not used. NaN
    when not even one epoch fits.

    Examples
    --------
    >>> t = np.arange(1, 241) * 0.8  # 192 s of beats
    >>> nn = 800 + 20 * np.sin(2 * np.pi * 0.25 * t)  # 20 ms at 0.25 Hz: variance 200
    >>> round(rsa_ln_ms2(t, nn), 1)  # ln(200 x 1.26, the chain's gain at 0.25 Hz)
    5.5
    """
    x = rsa_filtered_ms(t_s, nn_ms)
    per_epoch = round(epoch_s * RSA_FS_HZ)
    n_epochs = x.size // per_epoch
    if n_epochs == 0:
        return math.nan
    epochs = x[x.size - n_epochs * per_epoch :].reshape(n_epochs, per_epoch)
    var = epochs.var(axis=1, ddof=1)
    if np.any(var <= 0):
        return math.nan
    return float(np.mean(np.log(var)))
