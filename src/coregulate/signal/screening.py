"""Which beats are normal over a whole recording, and RMSSD over the normal ones.

The rule is Malik et al. (1989) with a physiological range, as the live stages
apply it (`signal/synchrony/grid.py`'s `BeatScreen`; `signal/trailing.py` uses the
same 20 % criterion): a beat outside 250–2500 ms, or differing by more than 20 %
from the median of the previous (up to) five accepted beats of its segment, is an
artifact. The signal issue replaces this with Lipponen & Tarvainen (2019).
"""

from __future__ import annotations

import math

import numpy as np

from coregulate.signal.synchrony.grid import BeatScreen


def screen_beats(rr_ms: np.ndarray, gap_before: np.ndarray) -> np.ndarray:
    """Return a bool array: True where a beat is normal (accepted), False for an artifact.

    The synchrony stage's `BeatScreen` decides (RR within 250–2500 ms and within
    20 % of the median of the previous five accepted beats of its segment), so the
    summaries and the synchrony agree on which beats are normal.

    Parameters
    ----------
    rr_ms
        RR intervals, ms, in time order.
    gap_before
        True where beats were lost before this one (a new segment starts).

    Examples
    --------
    >>> screen_beats(np.array([800.0, 810, 400, 805]), np.array([True, False, False, False]))
    array([ True,  True, False,  True])
    """
    screen = BeatScreen()
    return np.array(
        [
            screen.accept(float(rr), bool(gap))
            for rr, gap in zip(
                np.asarray(rr_ms).tolist(), np.asarray(gap_before).tolist(), strict=True
            )
        ],
        dtype=bool,
    )


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
