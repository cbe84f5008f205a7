"""Concordance index of slopes (Marci & Orr 2006; Marci et al. 2007; SUCO).

Each person's series gets a least-squares slope (units per second) over short
windows (default 5 s) moved by a fixed step (1 s). Within each non-overlapping
segment (default 15 s) the client's slopes are correlated (Pearson r) with the
therapist's slopes of the same stretch shifted by each lag τ within ±max lag
(positive τ = therapist leads, as in `wcc`), and the segment's r is the one of
largest |r| over τ (peak picking as in the windowed cross-correlation, Boker et
al. 2002). Marci & Orr correlate at lag 0 only, so when one person follows the
other by a few seconds the slopes are out of step and the sign of the index
depends on who leads (an exact copy read +0.84 at a +2 s lag and −1.89 at −3 s);
with the lag search an exact copy gives r = 1 in every segment, whoever leads.
Over the segments so far,

    CI = ln( Σ positive r / |Σ negative r| )

so CI > 0 means the slopes agreed in direction more than they disagreed. Marci et
al. (2007) used skin conductance with 5 s slopes and 15 s running windows; the
SUCO tool of Tschacher's group (embodiment.ch) uses the same definition on
non-overlapping segments, as here. A segment with missing data or a constant slope
series gives no r; with no negative (or no positive) r yet, the log is undefined
and the index is not available. A segment's client stretch starts max lag after its
therapist stretch, so segment k is complete once the grid reaches
(k + 1) segment + 2 max lag.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def slope_weights(n: int, fs: float) -> np.ndarray:
    """Return w such that dot(v, w) is the least-squares slope (per s) of n samples."""
    t = np.arange(n) / fs
    centred = t - t.mean()
    return centred / float((centred * centred).sum())


def segment_r(
    therapist: np.ndarray, client: np.ndarray, slope_n: int, slope_step: int, fs: float
) -> float:
    """Return the correlation of the two people's slopes within one segment (NaN if none).

    Parameters
    ----------
    therapist, client : array
        One segment of each person's grid series.
    slope_n, slope_step : int
        Slope window and its step, in samples.
    fs : float
        Grid rate (Hz).
    """
    weights = slope_weights(slope_n, fs)
    if therapist.size < slope_n or not (np.isfinite(therapist).all() and np.isfinite(client).all()):
        return math.nan
    a = sliding_window_view(therapist, slope_n)[::slope_step] @ weights
    b = sliding_window_view(client, slope_n)[::slope_step] @ weights
    if a.size < 3:
        return math.nan
    a = a - a.mean()
    b = b - b.mean()
    den = math.sqrt(float((a * a).sum()) * float((b * b).sum()))
    return float((a * b).sum()) / den if den > 0 else math.nan


def concordance_index(rs: list[float]) -> tuple[dict[str, Any] | None, str | None]:
    """Return the concordance index of per-segment correlations, or (None, reason)."""
    finite = [r for r in rs if math.isfinite(r)]
    positive = math.fsum(r for r in finite if r > 0)
    negative = math.fsum(r for r in finite if r < 0)
    stats = {
        "n_segments": len(rs),
        "n_r": len(finite),
        "n_positive": sum(r > 0 for r in finite),
        "n_negative": sum(r < 0 for r in finite),
        "sum_positive_r": positive,
        "sum_negative_r": negative,
        "ci": None,
    }
    if not finite:
        return None, "no segment with a defined slope correlation yet"
    if positive <= 0 or negative >= 0:
        side = "negative" if negative >= 0 else "positive"
        return stats, f"no {side} slope correlation yet: the log ratio is undefined"
    stats["ci"] = math.log(positive / -negative)
    return stats, None


def segment_r_lagged(
    therapist_span: np.ndarray,
    client: np.ndarray,
    slope_n: int,
    slope_step: int,
    fs: float,
    lag: int,
) -> float:
    """Return one segment's slope correlation at the lag of largest |r| (NaN if none).

    Parameters
    ----------
    therapist_span : array
        The therapist's grid series from `lag` samples before the client's segment
        to `lag` samples after it (``len(client) + 2 * lag`` samples).
    client : array
        The client's segment.
    slope_n, slope_step : int
        Slope window and its step, in samples.
    fs : float
        Grid rate (Hz).
    lag : int
        Largest lag searched, in samples (positive = therapist leads).

    Examples
    --------
    >>> t = np.arange(80) / 4.0
    >>> x = np.sin(t / 2.0) + 0.3 * np.sin(t * 1.3)
    >>> round(segment_r_lagged(x, x[5:69], 20, 4, 4.0, 8), 12)  # the client 3 samples later
    1.0
    """
    if client.size < slope_n or therapist_span.size != client.size + 2 * lag:
        return math.nan
    weights = slope_weights(slope_n, fs)
    # Every therapist slope the lags need, once: the slope starting at each sample.
    slopes = sliding_window_view(therapist_span, slope_n) @ weights
    b = sliding_window_view(client, slope_n)[::slope_step] @ weights
    if b.size < 3:
        return math.nan
    taus = np.arange(-lag, lag + 1)
    a = slopes[(lag - taus)[:, None] + slope_step * np.arange(b.size)[None, :]]  # (lags, m)
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean()
    den = np.sqrt((a * a).sum(axis=1) * float((b * b).sum()))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(den > 0, (a @ b) / den, np.nan)
    if not np.isfinite(r).any():
        return math.nan
    return float(r[int(np.nanargmax(np.abs(r)))])
