"""Dyads built from real heart rate: pyhrv's 1-hour NN series (tests/data/pyhrv, BSD).

NeuroKit2's `nk.data` recordings need a download, so the real data here is the one
series the repository ships: `SampleNNISeriesLong.npy` (pyhrv 0.5.0, 4684 NN
intervals, 1 h). Its stretches serve as different people:

- the therapist's beats are the real beats of one stretch (A), unchanged;
- the client's heart rate is a z-score mix of A's heart rate `lag_s` later (positive
  lag = therapist leads) and an unrelated stretch B of the same recording:
  z_client(t) = (c zA(t − lag) + u zB(t)) / sqrt(c² + u²), c = 1 − u, u the
  unrelated share; scaled to B's mean and SD (times `rate` for a faster heart) and
  turned into beats by integral pulse frequency modulation (a beat each time the
  integral of HR / 60 crosses a whole number).

So the coupling, its lag and who leads are known, and both people's variability is
real. Used by tests/test_sync_real.py and scripts/sync_real_data.py.
"""

from __future__ import annotations

import numpy as np

from signal_support import pyhrv_nn

NS = 1_000_000_000
_FS = 100.0  # Hz, the fine grid of the pulse integration


def real_nn_ms() -> np.ndarray:
    """Return pyhrv's 1-hour NN series (ms); the tests skip without it."""
    nn = pyhrv_nn("Long")
    if nn is None:
        raise FileNotFoundError("tests/data/pyhrv/SampleNNISeriesLong.npy")
    return nn


def real_beats(start_s: float, duration_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Return (t_ns from the stretch's start, rr_ms) of the real beats in a stretch."""
    nn = real_nn_ms()
    t = np.cumsum(nn) / 1000.0
    keep = (t - nn / 1000.0 >= start_s) & (t < start_s + duration_s)
    return np.round((t[keep] - start_s) * NS).astype(np.int64), nn[keep]


def _hr_curve(t_s: np.ndarray) -> np.ndarray:
    """Return the real heart rate (bpm) at times `t_s` of the recording (interval midpoints)."""
    nn = real_nn_ms()
    end = np.cumsum(nn) / 1000.0
    return np.interp(t_s, end - nn / 2000.0, 60000.0 / nn)


def _z(t_s: np.ndarray, start_s: float, duration_s: float) -> tuple[np.ndarray, float, float]:
    ref = _hr_curve(start_s + np.arange(0.0, duration_s, 1.0 / _FS))
    mean, sd = float(ref.mean()), float(ref.std())
    return (_hr_curve(t_s) - mean) / sd, mean, sd


def pulse_beats(hr_bpm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (t_ns, rr_ms) of the beats of a heart rate sampled at 100 Hz from t = 0."""
    phase = np.concatenate(([0.0], np.cumsum(hr_bpm / 60.0 / _FS)))
    k = np.arange(1, int(phase[-1]) + 1)
    t_s = np.interp(k, phase, np.arange(phase.size) / _FS)
    t_ns = np.round(t_s * NS).astype(np.int64)
    rr = np.diff(np.concatenate(([0], t_ns))) / 1e6
    return t_ns[1:], rr[1:]  # the first interval starts at 0, not at a beat


def coupled_client(
    a_start_s: float,
    b_start_s: float,
    duration_s: float,
    lag_s: float,
    unrelated: float,
    rate: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the client's (t_ns, rr_ms): stretch A's HR `lag_s` later mixed with stretch B's."""
    t = np.arange(0.0, duration_s, 1.0 / _FS)
    z_a, _, _ = _z(a_start_s + t - lag_s, a_start_s, duration_s)
    z_b, mean_b, sd_b = _z(b_start_s + t, b_start_s, duration_s)
    c = 1.0 - unrelated
    z = (c * z_a + unrelated * z_b) / np.hypot(c, unrelated)
    return pulse_beats(rate * (mean_b + sd_b * z))


def stretch_pairs(duration_s: float) -> list[tuple[float, float]]:
    """Return every ordered pair (A, B), A != B, of the recording's whole stretches."""
    total = float(np.sum(real_nn_ms())) / 1000.0
    n = int((total - 10.0) // duration_s)  # 10 s spare for lags before a stretch
    starts = [5.0 + k * duration_s for k in range(n)]
    return [(a, b) for a in starts for b in starts if a != b]
