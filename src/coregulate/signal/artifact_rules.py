"""The Lipponen & Tarvainen (2019) decision tree and the rules around it, beat by beat.

Pure pieces the causal classifier (:mod:`coregulate.signal.artifacts`) is built from:
the parameters (NeuroKit2's ``signal_fixpeaks(method="kubios")`` defaults), the
plausibility rule applied before classification, the quartile threshold, the tree
for one beat and the warm-up rule for a run's first beats.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np

NORMAL: Final = 0
ECTOPIC: Final = 1
MISSED: Final = 2
EXTRA: Final = 3
LONGSHORT: Final = 4
MERGED: Final = 5  # the interval after an extra detection, merged with it
KIND_NAMES: Final = ("normal", "ectopic", "missed", "extra", "longshort", "merged")

C1: Final = 0.13
C2: Final = 0.17
ALPHA: Final = 5.2
QUARTILE_WINDOW: Final = 91
MEDIAN_WINDOW: Final = 11
MIN_RR_MS: Final = 200.0  # 300 bpm: shorter is no heartbeat interval
MAX_RR_MS: Final = 3000.0  # 20 bpm
WARMUP_DIFFS: Final = 10  # fewer successive differences seen: thresholds mean nothing yet


def implausible_reason(t_ns: int, rr_ms: float, last_ns: int | None) -> str | None:
    """Return why an interval cannot be a heartbeat interval, or None if it can be one.

    Such intervals (outside 200-3000 ms, not finite, or a beat time that does not
    advance past the previous accepted beat) are kept out of classification.

    Examples
    --------
    >>> implausible_reason(1_000_000_000, 0.0, None)
    'RR 0 ms is outside 200-3000 ms (300-20 bpm)'
    """
    if not math.isfinite(rr_ms) or not MIN_RR_MS <= rr_ms <= MAX_RR_MS:
        return f"RR {rr_ms:g} ms is outside {MIN_RR_MS:g}-{MAX_RR_MS:g} ms (300-20 bpm)"
    if last_ns is not None and t_ns <= last_ns:
        return "beat time does not advance"
    return None


def plausible_beats(
    t_ns: np.ndarray, rr_ms: np.ndarray, gap_before: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return (keep, gap_before): which beats are plausible, and the gaps classification sees.

    The live rule applied to a whole series: each interval is checked with
    :func:`implausible_reason` against the last kept beat; a rejected interval enters
    nothing and the next kept beat starts a new run (its ``gap_before`` becomes True, as
    does the first kept beat's). A rejected beat's ``gap_before`` is returned as given.

    Examples
    --------
    >>> t = np.array([1, 2, 3, 4]) * 1_000_000_000
    >>> keep, gaps = plausible_beats(t, np.array([800.0, 100.0, 900.0, 850.0]), np.zeros(4))
    >>> keep.tolist(), gaps.tolist()
    ([True, False, True, True], [True, False, True, False])
    """
    t = np.asarray(t_ns, dtype=np.int64)
    rr = np.asarray(rr_ms, dtype=float)
    gaps = np.asarray(gap_before, dtype=bool).copy()
    keep = np.zeros(t.size, dtype=bool)
    last: int | None = None
    pending = True  # the first beat starts a run
    for i in range(t.size):
        if implausible_reason(int(t[i]), float(rr[i]), last) is not None:
            pending = True
            continue
        keep[i] = True
        gaps[i] = gaps[i] or pending
        pending = False
        last = int(t[i])
    return keep, gaps


def quartile_threshold(values: np.ndarray, alpha: float = ALPHA) -> float:
    """Return α times the quartile deviation (Q3 - Q1) / 2 of `values` (linear quantiles).

    Examples
    --------
    >>> quartile_threshold(np.array([0.0, 1.0, 2.0, 3.0, 4.0]), alpha=2.0)
    2.0
    """
    a = np.asarray(values, dtype=float)
    n = a.size
    if n == 0:
        return 0.0
    p1, p3 = 0.25 * (n - 1), 0.75 * (n - 1)
    k1, k3 = int(p1), int(p3)
    ks = sorted({k1, min(k1 + 1, n - 1), k3, min(k3 + 1, n - 1)})
    s = np.partition(a, ks)
    q1 = s[k1] + (s[min(k1 + 1, n - 1)] - s[k1]) * (p1 - k1)
    q3 = s[k3] + (s[min(k3 + 1, n - 1)] - s[k3]) * (p3 - k3)
    return alpha * float(q3 - q1) / 2.0


def classify_beat(
    d: tuple[float, float, float, float],
    mrr_norm: float,
    rr_j: float,
    rr_next: float,
    med_rr: float,
    th2: float,
    c1: float = C1,
    c2: float = C2,
) -> int:
    """Return the class of beat j from its normalised neighbourhood (the 2019 tree).

    Parameters
    ----------
    d
        Normalised successive differences dRR/Th1 at beats j-1, j, j+1, j+2 (NaN for
        j-1 at the start of a contiguous run: then j+1 stands in for it, as
        NeuroKit2's reflective padding does).
    mrr_norm
        Normalised deviation from the local median, mRR/Th2 (negative ones doubled).
    rr_j, rr_next, med_rr, th2
        RR of beats j and j+1, the local median RR and Th2, all in the same unit.
    """
    d_prev, dj, d1, d2 = d
    if not abs(dj) > 1.0:  # also NaN (a zero threshold): nothing to judge against
        return NORMAL
    if math.isnan(d_prev):
        d_prev = d1
    s12 = max(d_prev, d1) if dj > 0 else min(d_prev, d1)
    if (dj > 1 and s12 < -c1 * dj - c2) or (dj < -1 and s12 > -c1 * dj + c2):
        return ECTOPIC
    s22 = min(d1, d2) if dj >= 0 else max(d1, d2)
    long_beat = dj > 1 and s22 < -1
    short_beat = dj < -1 and s22 > 1
    if not (long_beat or short_beat or abs(mrr_norm) > 3):
        return NORMAL
    if short_beat and abs(rr_j + rr_next - med_rr) < th2:
        return EXTRA
    if long_beat and abs(rr_j / 2 - med_rr) < th2:
        return MISSED
    return LONGSHORT


def warmup_class(rr_j: float, rr_next: float, med_rr: float, max_change: float = 0.2) -> int:
    """Return the class of a beat seen before the adaptive thresholds mean anything.

    In a run's first beats the quartile thresholds rest on a handful of differences,
    so the 2019 tree cannot judge; calling every such beat normal let one missed
    beat at the start of a session inflate the first minute's RMSSD eightfold. Until
    the thresholds are warm, a beat more than `max_change` (20 %, the Malik et al.
    1989 criterion) from the local median RR is an artifact: missed if it is about
    two medians, an extra detection if it and the next make about one, else
    long-short (replaced by the median).

    Examples
    --------
    >>> warmup_class(1806.0, 963.0, 905.0) == MISSED
    True
    >>> warmup_class(910.0, 880.0, 905.0) == NORMAL
    True
    """
    tolerance = max_change * med_rr
    if abs(rr_j - med_rr) <= tolerance:
        return NORMAL
    if rr_j > med_rr and abs(rr_j / 2.0 - med_rr) <= tolerance:
        return MISSED
    if rr_j < med_rr and abs(rr_j + rr_next - med_rr) <= tolerance:
        return EXTRA
    return LONGSHORT
