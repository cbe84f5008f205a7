"""HRV kernels over one window of beats: HR, RMSSD, SDNN and LF/HF band power.

Pure functions, arrays in and floats out; the streaming class
(:mod:`coregulate.signal.person`) and the offline paths call the same ones, so a
replay gives the numbers the live session published, bit for bit.

Definitions are NeuroKit2's (the project's definition of record), checked against
its source (``hrv/hrv_time.py``, ``hrv/hrv_frequency.py``, ``hrv/intervals_process.py``,
``signal/signal_psd.py``, ``signal/signal_power.py``, version 0.3.0):

- RMSSD = sqrt(mean(ΔNN²)) over successive intervals only; SDNN = SD(NN, ddof=1).
- Band power: NN (ms) interpolated at ``fs_hz`` on the grid
  ``arange(t0, t_end + 1/fs, 1/fs)`` with a quadratic spline held constant outside
  the beats (``scipy.interpolate.interp1d(kind="quadratic")``, NeuroKit2's default;
  computed by :mod:`coregulate.signal.spline`, equal to SciPy's to rounding);
  mean removed; Welch with a periodic Hann window, FFT length twice the segment,
  density scaling, no further detrending. NeuroKit2's segments are ``N // 2``
  samples at 50 % overlap and its band power the trapezoid over ``lo <= f < hi``;
  here (the live layout) segments are 60 s at >= 75 % overlap and the band is
  integrated over exactly ``[lo, hi]``, so that a sliding window never changes the
  estimator (``segment_s=None`` gives NeuroKit2's layout; docs/metrics.md,
  "Spectral layout", says why and what it costs). NeuroKit2 divides the PSD
  by its maximum by default (``normalize=True``); here powers are in ms² (its
  ``normalize=False``). NeuroKit2 interpolates at 100 Hz by default; the live path
  uses 4 Hz (Kubios' rate; see docs/metrics.md for why the difference is small).
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np

from coregulate.signal.spline import quadratic_spline

LF_BAND_HZ: Final = (0.04, 0.15)
HF_BAND_HZ: Final = (0.15, 0.40)


def successive_differences_ms(nn_ms: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """Return ΔNN (ms) between consecutive intervals that share a segment id.

    Examples
    --------
    >>> successive_differences_ms(np.array([800.0, 810.0, 900.0]), np.array([0, 0, 1]))
    array([10.])
    """
    nn = np.asarray(nn_ms, dtype=float)
    seg = np.asarray(segment)
    return np.diff(nn)[seg[1:] == seg[:-1]]


def rmssd_ms(nn_ms: np.ndarray, segment: np.ndarray | None = None) -> float:
    """Return RMSSD (ms), skipping differences across segment changes; NaN if none.

    Examples
    --------
    >>> round(rmssd_ms(np.array([800.0, 810.0, 790.0])), 6)
    15.811388
    """
    nn = np.asarray(nn_ms, dtype=float)
    d = np.diff(nn) if segment is None else successive_differences_ms(nn, segment)
    if d.size == 0:
        return math.nan
    return float(np.sqrt(np.mean(d * d)))


def sdnn_ms(nn_ms: np.ndarray) -> float:
    """Return SDNN (ms): the sample SD (ddof 1) of the intervals; NaN below two.

    Examples
    --------
    >>> sdnn_ms(np.array([800.0, 820.0]))
    14.142135623730951
    """
    nn = np.asarray(nn_ms, dtype=float)
    if nn.size < 2:
        return math.nan
    return float(np.std(nn, ddof=1))


def hr_bpm(nn_ms: np.ndarray) -> float:
    """Return the mean heart rate (bpm) as 60000 / mean NN; NaN for no intervals."""
    nn = np.asarray(nn_ms, dtype=float)
    if nn.size == 0:
        return math.nan
    return 60000.0 / float(np.mean(nn))


def interpolate_nn(t_s: np.ndarray, nn_ms: np.ndarray, fs_hz: float) -> np.ndarray:
    """Return NN (ms) resampled at `fs_hz` from the first to past the last beat.

    The grid is ``arange(t_s[0], t_s[-1] + 1/fs, 1/fs)``; values come from a quadratic
    interpolating spline and are held at the end values outside the beats (as
    ``interp1d(kind="quadratic", fill_value=(first, last))``).
    """
    t = np.asarray(t_s, dtype=float)
    nn = np.asarray(nn_ms, dtype=float)
    grid = np.arange(t[0], t[-1] + 1.0 / fs_hz, 1.0 / fs_hz)
    out = quadratic_spline(t, nn, grid)
    out[grid > t[-1]] = nn[-1]
    return out


WELCH_SEGMENT_S: Final = 60.0
"""Welch segment length of the live and offline spectra, seconds (docs/metrics.md)."""
WELCH_MIN_OVERLAP: Final = 0.75

_Layout = tuple[np.ndarray, np.ndarray, float, int, np.ndarray]
_LAYOUT_CACHE: dict[tuple[int, float, float | None], _Layout] = {}


def welch_segments(n: int, fs_hz: float, segment_s: float | None) -> tuple[int, int, int]:
    """Return (segment length, step, number of segments), in samples, for `n` samples.

    ``segment_s=None`` is NeuroKit2's layout: ``N // 2`` samples (from its default
    minimum frequency ``2 fs / (N / 2)``), step ``nperseg - nperseg // 2``; the number
    of segments then flips between 2 and 3 with the parity of ``N // 2``.

    A number is the fixed layout: segments of ``round(segment_s * fs)`` samples (all
    of `n` if shorter), as few as cover the span (``n - 1`` samples: the grid runs
    one step past the last beat) with at least ``WELCH_MIN_OVERLAP`` (75 %) overlap,
    the step shared out evenly (``(n - L) // (K - 1)``). For 60 s segments at 4 Hz,
    every window of 422-481 samples (105-120 s) has 5 segments and every one of
    902-961 samples (225-240 s, all live 240 s windows) 13, so a sliding live window
    never changes the estimator; the < K - 1 samples the integer step leaves over
    are the oldest ones and are not used.

    Examples
    --------
    >>> welch_segments(480, 4.0, None), welch_segments(478, 4.0, None)
    ((240, 120, 3), (239, 120, 2))
    >>> [welch_segments(n, 4.0, 60.0) for n in (422, 481, 902, 961)]
    [(240, 45, 5), (240, 60, 5), (240, 55, 13), (240, 60, 13)]
    """
    if segment_s is None:
        min_frequency = (2 * fs_hz) / (n / 2)
        nperseg = int((2 / min_frequency) * fs_hz)
        if nperseg > n / 2:
            nperseg = int(n / 2)
        step = nperseg - nperseg // 2
        return nperseg, step, (n - nperseg) // step + 1
    nperseg = min(n, max(2, round(segment_s * fs_hz)))
    if nperseg >= n - 1:
        nperseg = n
        return n, n, 1
    longest = max(1, int(nperseg * (1.0 - WELCH_MIN_OVERLAP)))  # largest step allowed
    k = -(-(n - 1 - nperseg) // longest) + 1  # for the span, n - 1 samples
    return nperseg, (n - nperseg) // (k - 1), k


def _welch_layout(n: int, fs_hz: float, segment_s: float | None) -> _Layout:
    """Return (segment indices, Hann window, Σw², FFT length, frequencies) for n samples.

    Window lengths repeat from update to update (a 240 s window at 4 Hz is always
    about 960 samples), so layouts are cached.
    """
    key = (n, fs_hz, segment_s)
    layout = _LAYOUT_CACHE.get(key)
    if layout is None:
        nperseg, step, n_seg = welch_segments(n, fs_hz, segment_s)
        nfft = 2 * nperseg
        # NeuroKit2 (SciPy) leaves the newest leftover samples out; the fixed layout
        # the oldest, so the newest data always count.
        first = 0 if segment_s is None else n - ((n_seg - 1) * step + nperseg)
        w = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(nperseg) / nperseg)  # periodic Hann
        idx = first + np.arange(n_seg)[:, None] * step + np.arange(nperseg)[None, :]
        freq = np.fft.rfftfreq(nfft, 1.0 / fs_hz)
        layout = (idx, w, float(np.sum(w * w)), nfft, freq)
        if len(_LAYOUT_CACHE) < 512:
            _LAYOUT_CACHE[key] = layout
    return layout


def welch_psd(
    x: np.ndarray, fs_hz: float, segment_s: float | None = WELCH_SEGMENT_S
) -> tuple[np.ndarray, np.ndarray]:
    """Return (frequency Hz, one-sided PSD units²/Hz) by Welch's method.

    Mean removed once; Hann window (periodic), FFT length twice the segment, no
    per-segment detrend, mean of the segments; the layout is :func:`welch_segments`'
    (``segment_s=None``: NeuroKit2's). ``scipy.signal.welch`` with the same segments,
    ``nperseg``, ``noverlap = nperseg - step``, ``nfft`` and ``detrend=False`` gives
    the same values (tests/test_signal_hrv.py).
    """
    x = np.asarray(x, dtype=float)
    x = x - x.sum() / x.size
    idx, w, w2, nfft, freq = _welch_layout(x.size, fs_hz, segment_s)
    spec = np.fft.rfft(x[idx] * w, n=nfft, axis=1)
    psd = (spec.real**2 + spec.imag**2).mean(axis=0) / (fs_hz * w2)
    psd[1:-1] *= 2.0  # one-sided; nfft is even, so the last bin is Nyquist
    return freq, psd


def band_power(freq_hz: np.ndarray, psd: np.ndarray, band_hz: tuple[float, float]) -> float:
    """Return the trapezoid integral of `psd` over ``lo <= f < hi``; NaN if it is 0."""
    where = (freq_hz >= band_hz[0]) & (freq_hz < band_hz[1])
    power = float(np.trapezoid(psd[where], freq_hz[where]))
    return math.nan if power == 0.0 else power


def band_power_exact(freq_hz: np.ndarray, psd: np.ndarray, band_hz: tuple[float, float]) -> float:
    """Return the integral of the piecewise-linear `psd` over exactly ``[lo, hi]``.

    The PSD is interpolated linearly at the band edges, so the integral covers the
    whole band wherever the frequency grid falls; :func:`band_power` (NeuroKit2's
    rule) integrates only from the first to the last grid frequency inside the band,
    which leaves out up to one grid step at each edge: with 60 s segments (a grid
    of 1/120 Hz) 9 % of the LF band's width. NaN if the power is 0.

    Examples
    --------
    >>> f = np.arange(0.0, 0.5, 1 / 120)
    >>> round(band_power_exact(f, np.ones(f.size), (0.04, 0.15)), 12)
    0.11
    >>> round(band_power(f, np.ones(f.size), (0.04, 0.15)), 12)  # 0.0417 to 0.1417
    0.1
    """
    lo, hi = band_hz
    inner = (freq_hz > lo) & (freq_hz < hi)
    f = np.concatenate(([lo], freq_hz[inner], [hi]))
    p = np.concatenate(([np.interp(lo, freq_hz, psd)], psd[inner], [np.interp(hi, freq_hz, psd)]))
    power = float(np.trapezoid(p, f))
    return math.nan if power == 0.0 else power


def band_powers_ms2(
    t_s: np.ndarray,
    nn_ms: np.ndarray,
    fs_hz: float = 4.0,
    bands_hz: tuple[tuple[float, float], ...] = (LF_BAND_HZ, HF_BAND_HZ),
    segment_s: float | None = WELCH_SEGMENT_S,
) -> tuple[float, ...]:
    """Return the power (ms²) of NN in each band, by NeuroKit2's hrv_frequency steps.

    Parameters
    ----------
    t_s
        End time of each interval, seconds, strictly increasing, one contiguous run.
    nn_ms
        The intervals, ms.
    fs_hz
        Interpolation rate.
    bands_hz
        (low, high) pairs; a band includes its low edge and excludes its high edge.
    segment_s
        Welch segment length, seconds (:func:`welch_segments`); None gives
        NeuroKit2's ``N // 2`` layout, which changes with the series' length.

    Examples
    --------
    >>> t = np.cumsum(np.full(150, 0.8))
    >>> nn = 800 + 30 * np.sin(2 * np.pi * 0.25 * t)
    >>> lf, hf = band_powers_ms2(t, nn)
    >>> hf > 100 * lf
    True
    """
    if len(t_s) < 4:
        return tuple(math.nan for _ in bands_hz)
    x = interpolate_nn(t_s, nn_ms, fs_hz)
    freq, psd = welch_psd(x, fs_hz, segment_s)
    keep = freq <= 0.5  # NeuroKit2 trims the PSD at its highest band edge (VHF, 0.5 Hz)
    integrate = band_power if segment_s is None else band_power_exact
    return tuple(integrate(freq[keep], psd[keep], band) for band in bands_hz)
