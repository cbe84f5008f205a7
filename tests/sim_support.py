"""Helpers for tests of the strap simulator: HR on a grid and its lagged cross-correlation."""

from __future__ import annotations

import numpy as np
from scipy.signal import detrend

from coregulate.acquisition.simulator import BEAT_NORMAL, TrueBeats

RESAMPLE_HZ = 4.0


def hr_on_grid(beats: TrueBeats, duration_s: float, *, measured: bool) -> np.ndarray:
    """Detrended HR at 4 Hz: the underlying HR, or 60000 / RR of the normal beats."""
    grid_s = np.arange(10.0, duration_s - 10.0, 1.0 / RESAMPLE_HZ)
    t_s = beats.t_ns / 1e9
    if measured:
        normal = beats.kind == BEAT_NORMAL
        hr_bpm = np.interp(grid_s, t_s[normal], 60000.0 / beats.rr_ms[normal])
    else:
        hr_bpm = np.interp(grid_s, t_s, beats.hr_bpm)
    return detrend(hr_bpm)


def cross_correlation(
    leader: np.ndarray, follower: np.ndarray, max_lag_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Return (lag_s, r) with r(lag) = corr(leader(t), follower(t + lag))."""
    max_lag = round(max_lag_s * RESAMPLE_HZ)
    lags = np.arange(-max_lag, max_lag + 1)
    n = leader.size
    r = np.array(
        [
            np.corrcoef(leader[max(0, -k) : n - max(0, k)], follower[max(0, k) : n + min(0, k)])[
                0, 1
            ]
            for k in lags
        ]
    )
    return lags / RESAMPLE_HZ, r
