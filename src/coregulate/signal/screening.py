"""Which beats of a whole recording are normal, and RMSSD over the normal ones.

The classification is the live signal stage's own (`signal/artifacts.py`: Lipponen
& Tarvainen 2019, causal, with the same plausibility rule), run over the whole
recording, so an offline summary counts as artifacts exactly the beats the live
metrics corrected.
"""

from __future__ import annotations

import math

import numpy as np

from coregulate.signal.artifacts import KIND_NAMES, NORMAL, classify_series, plausible_beats

IMPLAUSIBLE = "implausible"  # kept out of classification (outside 200-3000 ms, time not advancing)


def _classified(
    t_ns: np.ndarray, rr_ms: np.ndarray, gap_before: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (plausible mask, gaps as classified, kind and corrected NN of the plausible)."""
    t = np.asarray(t_ns, dtype=np.int64)
    rr = np.asarray(rr_ms, dtype=float)
    keep, gaps = plausible_beats(t, rr, gap_before)
    if not keep.any():
        return keep, gaps, np.zeros(0, np.int8), np.zeros(0)
    kind, nn = classify_series(t[keep], rr[keep], gaps[keep])
    return keep, gaps, kind, nn


def _kind_names(keep: np.ndarray, kind: np.ndarray) -> np.ndarray:
    kinds = np.full(keep.size, IMPLAUSIBLE, dtype=object)
    kinds[keep] = [KIND_NAMES[k] for k in kind]
    return kinds


def _rmssd_of_corrected(keep: np.ndarray, gaps: np.ndarray, nn: np.ndarray) -> float:
    run = np.cumsum(gaps[keep])
    ok = np.isfinite(nn)
    nn, run = nn[ok], run[ok]
    d = np.diff(nn)[run[1:] == run[:-1]]
    return float(np.sqrt(np.mean(d * d))) if d.size else math.nan


def classify_beats(
    t_ns: np.ndarray, rr_ms: np.ndarray, gap_before: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return (kind name per beat, gap_before per beat as the classifier saw it).

    Kinds are `KIND_NAMES` (``normal``, ``ectopic``, ``missed``, ``extra``,
    ``longshort``, ``merged``) or ``implausible``. An implausible interval enters
    nothing and the next beat starts a new run, as live.

    Examples
    --------
    >>> rr = 800.0 + np.tile([0.0, 12.0, 5.0], 14)[:40]
    >>> rr[20] = 1600.0
    >>> t = np.cumsum(rr).astype(np.int64) * 1_000_000
    >>> kinds, _ = classify_beats(t, rr, np.zeros(40, bool))
    >>> str(kinds[20]), int((kinds == "normal").sum())
    ('missed', 39)
    """
    keep, gaps, kind, _ = _classified(t_ns, rr_ms, gap_before)
    return _kind_names(keep, kind), gaps


def classify_beats_and_rmssd(
    t_ns: np.ndarray, rr_ms: np.ndarray, gap_before: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """Return the kinds and gaps of :func:`classify_beats` and :func:`corrected_rmssd_ms`.

    One classification serves both (`person_summary` ran it twice).
    """
    keep, gaps, kind, nn = _classified(t_ns, rr_ms, gap_before)
    rmssd = _rmssd_of_corrected(keep, gaps, nn) if keep.any() else math.nan
    return _kind_names(keep, kind), gaps, rmssd


def corrected_rmssd_ms(t_ns: np.ndarray, rr_ms: np.ndarray, gap_before: np.ndarray) -> float:
    """Return RMSSD (ms) over every successive difference of the corrected series.

    Beats are classified and corrected as live (:func:`classify_series`, correction by
    interpolation); a difference is taken between consecutive kept beats of one
    contiguous run (an extra detection, dropped and merged, does not break the run;
    an implausible interval or a gap does), as the live RMSSD does. NaN if there is
    no difference.

    Examples
    --------
    >>> rr = 800.0 + np.tile([0.0, 12.0, 5.0], 14)[:40]
    >>> clean = corrected_rmssd_ms(np.cumsum(rr).astype(np.int64) * 1_000_000, rr, np.zeros(40))
    >>> rr[20] = 1600.0  # a missed detection (of a 805 ms beat: halved to 800 ms)
    >>> t = np.cumsum(rr).astype(np.int64) * 1_000_000
    >>> round(corrected_rmssd_ms(t, rr, np.zeros(40)) / clean, 2)
    1.01
    """
    keep, gaps, _, nn = _classified(t_ns, rr_ms, gap_before)
    return _rmssd_of_corrected(keep, gaps, nn) if keep.any() else math.nan


def normal_mask(kinds: np.ndarray) -> np.ndarray:
    """Return True where a beat's kind is normal."""
    return np.asarray(kinds) == KIND_NAMES[NORMAL]


def rmssd_normal_ms(rr_ms: np.ndarray, gap_before: np.ndarray, normal: np.ndarray) -> float:
    """Return RMSSD (ms) over every difference between two successive normal beats.

    A difference is taken only between neighbours that are both normal and not
    separated by a gap (NeuroKit2 `hrv_time` RMSSD on each contiguous stretch,
    pooled); NaN if there is none.

    Examples
    --------
    >>> rmssd_normal_ms(np.array([800.0, 810, 400, 820, 830]),
    ...                 np.array([True, False, False, False, False]),
    ...                 np.array([True, True, False, True, True]))
    10.0
    """
    rr = np.asarray(rr_ms, dtype=float)
    ok = np.asarray(normal, dtype=bool)
    gaps = np.asarray(gap_before, dtype=bool)
    pair = ok[1:] & ok[:-1] & ~gaps[1:]
    d = np.diff(rr)[pair]
    return float(np.sqrt(np.mean(d * d))) if d.size else math.nan
