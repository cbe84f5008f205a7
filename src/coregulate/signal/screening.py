"""Which beats are normal: the minimal stage's Malik screening over a whole recording.

The same rule as `signal/trailing.py` applies live (Malik et al. 1989): a beat whose
RR differs by more than `max_change` (20 %) from the median of the previous (up to)
five accepted beats of its segment is an artifact. Offline summaries use this
function so that they agree with what the live stage excluded. The signal issue
replaces both with Lipponen & Tarvainen (2019).
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np


def screen_beats(rr_ms: np.ndarray, gap_before: np.ndarray, max_change: float = 0.2) -> np.ndarray:
    """Return a bool array: True where a beat is normal (accepted), False for an artifact.

    Parameters
    ----------
    rr_ms
        RR intervals, ms, in time order.
    gap_before
        True where beats were lost before this one (a new segment starts).
    max_change
        Largest accepted relative deviation from the recent median.

    Examples
    --------
    >>> screen_beats(np.array([800.0, 810, 400, 805]), np.array([True, False, False, False]))
    array([ True,  True, False,  True])
    """
    rr = np.asarray(rr_ms, dtype=float)
    gaps = np.asarray(gap_before, dtype=bool)
    ok = np.ones(rr.size, dtype=bool)
    recent: deque[float] = deque(maxlen=5)
    for i, value in enumerate(rr.tolist()):
        if gaps[i]:
            recent.clear()
        if recent:
            reference = float(np.median(recent))
            ok[i] = abs(value - reference) <= max_change * reference
        if ok[i]:
            recent.append(value)
    return ok


def rmssd_normal_ms(rr_ms: np.ndarray, gap_before: np.ndarray, normal: np.ndarray) -> float:
    """Return RMSSD (ms) over every difference between two successive normal beats.

    A difference is taken only between neighbours that are both normal and not
    separated by a gap (NeuroKit2 `hrv_time` RMSSD on each contiguous stretch,
    pooled); NaN if there is none.
    """
    rr = np.asarray(rr_ms, dtype=float)
    ok = np.asarray(normal, dtype=bool)
    gaps = np.asarray(gap_before, dtype=bool)
    pair = ok[1:] & ok[:-1] & ~gaps[1:]
    d = np.diff(rr)[pair]
    return float(np.sqrt(np.mean(d * d))) if d.size else math.nan
