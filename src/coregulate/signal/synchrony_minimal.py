"""MINIMAL windowed cross-correlation synchrony, standing in until the synchrony issue lands.

This is a deliberately small implementation so that `coregulate analyze` has a
synchrony summary today; issue 5 (the synchrony stage) replaces it behind the
seam `coregulate.recordings.pipeline.synchrony_summary`. Definitions (DESIGN.md §4):

- both HR series on one 4 Hz grid (RR of normal beats linearly interpolated,
  `signal/resample.py`, as HR = 60000 / RR; a window touching a gap is skipped);
- windowed cross-correlation (Boker et al. 2002): window 30 s, step 1 s, lags ±5 s;
  at each window the lag with the largest r is the peak; Fisher z = atanh(r);
- sign convention: positive lag = therapist leads (the client's series at t is
  compared with the therapist's at t − lag);
- surrogates by segment shuffling (SUSY, Tschacher & Haken): the series cut into
  non-overlapping windows; the peak z of window i of one person with window h ≠ i
  of the other; ES = (mean Z_real − mean Z_pseudo) / SD(Z_pseudo).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

_R_CLIP = 0.999999  # atanh(±1) is infinite: a constant window would otherwise dominate


@dataclass(frozen=True, slots=True)
class SynchronyParams:
    """Every parameter of the minimal synchrony, recorded with its result."""

    grid_hz: float = 4.0
    window_s: float = 30.0
    step_s: float = 1.0
    max_lag_s: float = 5.0


@dataclass(frozen=True, slots=True)
class SynchronyResult:
    """Per-window peaks and the session summary."""

    t_s: np.ndarray  # window ends, seconds on the session clock
    peak_r: np.ndarray
    peak_lag_s: np.ndarray
    peak_lag_median_s: float
    mean_peak_z: float
    surrogate_es: float
    n_surrogates: int
    params: SynchronyParams


def _standardise(rows: np.ndarray) -> np.ndarray:
    centred = rows - rows.mean(axis=-1, keepdims=True)
    norm = np.sqrt((centred * centred).sum(axis=-1, keepdims=True))
    with np.errstate(invalid="ignore", divide="ignore"):
        return centred / norm


def _lagged_r(client: np.ndarray, therapist: np.ndarray, lag: int) -> np.ndarray:
    """Return r between every client row and every therapist row at one lag (n × m)."""
    w = client.shape[1]
    if lag >= 0:
        a, b = client[:, lag:], therapist[:, : w - lag]
    else:
        a, b = client[:, : w + lag], therapist[:, -lag:]
    return _standardise(a) @ _standardise(b).T


def windowed_synchrony(
    client_hr: np.ndarray, therapist_hr: np.ndarray, params: SynchronyParams
) -> SynchronyResult:
    """Return the WCC peaks and SUSY effect size of two HR series on the same grid."""
    fs = params.grid_hz
    win = round(params.window_s * fs)
    step = round(params.step_s * fs)
    max_lag = round(params.max_lag_s * fs)
    lags = np.arange(-max_lag, max_lag + 1)
    n = min(client_hr.size, therapist_hr.size)
    # Every window must have its full ±max_lag context inside both series.
    starts = np.arange(max_lag, n - win - max_lag + 1, step)
    peak_r = np.full(starts.size, np.nan)
    peak_lag = np.full(starts.size, np.nan)
    if starts.size:
        client_w = _standardise(sliding_window_view(client_hr[:n], win)[starts])
        therapist_all = sliding_window_view(therapist_hr[:n], win)
        r_by_lag = np.empty((lags.size, starts.size))
        for j, lag in enumerate(lags):
            # client at t against therapist at t - lag: positive lag = therapist leads
            ther_w = _standardise(therapist_all[starts - lag])
            r_by_lag[j] = np.sum(client_w * ther_w, axis=1)
        valid = np.isfinite(r_by_lag).all(axis=0)
        best = np.argmax(np.where(np.isfinite(r_by_lag), r_by_lag, -np.inf), axis=0)
        peak_r = np.where(valid, r_by_lag[best, np.arange(starts.size)], np.nan)
        peak_lag = np.where(valid, lags[best] / fs, np.nan)
    z = np.arctanh(np.clip(peak_r, -_R_CLIP, _R_CLIP))
    es, n_sur = _segment_shuffle_es(client_hr[:n], therapist_hr[:n], win, lags)
    finite = np.isfinite(z)
    return SynchronyResult(
        t_s=(starts + win) / fs,
        peak_r=peak_r,
        peak_lag_s=peak_lag,
        peak_lag_median_s=float(np.median(peak_lag[finite])) if finite.any() else math.nan,
        mean_peak_z=float(np.mean(z[finite])) if finite.any() else math.nan,
        surrogate_es=es,
        n_surrogates=n_sur,
        params=params,
    )


def _segment_shuffle_es(
    client: np.ndarray, therapist: np.ndarray, win: int, lags: np.ndarray
) -> tuple[float, int]:
    n_seg = client.size // win
    if n_seg < 3:
        return math.nan, 0
    a = client[: n_seg * win].reshape(n_seg, win)
    b = therapist[: n_seg * win].reshape(n_seg, win)
    keep = np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1)
    a, b = a[keep], b[keep]
    if a.shape[0] < 3:
        return math.nan, 0
    peak = np.full((a.shape[0], b.shape[0]), -np.inf)
    for lag in lags:
        r = _lagged_r(a, b, int(lag))
        peak = np.fmax(peak, np.where(np.isfinite(r), r, -np.inf))
    z = np.arctanh(np.clip(peak, -_R_CLIP, _R_CLIP))
    real = np.diag(z)
    pseudo = z[~np.eye(z.shape[0], dtype=bool)]
    real, pseudo = real[np.isfinite(real)], pseudo[np.isfinite(pseudo)]
    if pseudo.size < 2 or not real.size or np.std(pseudo, ddof=1) == 0:
        return math.nan, int(pseudo.size)
    es = (np.mean(real) - np.mean(pseudo)) / np.std(pseudo, ddof=1)
    return float(es), int(pseudo.size)
