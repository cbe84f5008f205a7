"""Concordance index of slopes (Marci & Orr 2006; Marci et al. 2007; SUCO).

Each person's series gets a least-squares slope (units per second) over short
windows (default 5 s) moved by a fixed step (1 s). Within each non-overlapping
segment (default 15 s) the two people's slopes whose windows lie inside it are
correlated (Pearson r). Over the segments so far,

    CI = ln( Σ positive r / |Σ negative r| )

so CI > 0 means the slopes agreed in direction more than they disagreed. Marci et
al. (2007) used skin conductance with 5 s slopes and 15 s running windows; the
SUCO tool of Tschacher's group (embodiment.ch) uses the same definition on
non-overlapping segments, as here. A segment with missing data or a constant slope
series gives no r; with no negative (or no positive) r yet, the log is undefined
and the index is not available.
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
