"""Beat classification and correction after Lipponen & Tarvainen (2019), causally.

Lipponen, J. A., & Tarvainen, M. P. (2019). A robust algorithm for heart rate
variability time series artefact correction using novel beat classification.
Journal of Medical Engineering & Technology, 43(3), 173-181.

The decision tree and its parameters are those of NeuroKit2's
``signal_fixpeaks(method="kubios")`` (c1 0.13, c2 0.17, α 5.2, 91-beat quartile
window, 11-beat median), read in its source. NeuroKit2 works offline with centred
windows; here every window ends at the newest beat, and beat ``j`` is classified
when beat ``j + 2`` arrives (the tree looks two differences ahead), so a live
classification lags by two beats and never changes afterwards. The first beats of a
session, before ten successive differences exist, are passed as normal: a quartile
of two or three values is no threshold. The differences from
NeuroKit2, all consequences of causality, are listed in docs/metrics.md.

Correction (each classified beat yields one corrected NN value or none), by
interpolation of beat times as NeuroKit2's ``_correct_artifacts`` does: an ectopic
or long/short beat is moved to the midpoint between its (corrected) predecessor and
its successor, so its interval and the next one both become half their sum (the
next beat, already received when beat j is classified, needs no further look-ahead);
a missed beat's interval is halved (it stands for two, as NeuroKit2 inserts a beat
at the midpoint); an extra detection is dropped and its interval merged into the
next one. Beat times are never lost: the corrected intervals of a run add up to the
raw ones, except for the half of a missed beat's interval that stands for the
inserted beat (one value per received beat).
"""

from __future__ import annotations

import bisect
import math
from collections import deque
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


class _SortedWindow:
    """The last `size` values, kept sorted too, so quantiles cost O(1) to read."""

    def __init__(self, size: int) -> None:
        self._fifo: deque[float] = deque()
        self._sorted: list[float] = []
        self._size = size

    def __len__(self) -> int:
        return len(self._fifo)

    def push(self, value: float) -> None:
        if len(self._fifo) == self._size:
            old = self._fifo.popleft()
            del self._sorted[bisect.bisect_left(self._sorted, old)]
        self._fifo.append(value)
        bisect.insort(self._sorted, value)

    def quantile(self, q: float) -> float:
        """Return the q-quantile with linear interpolation (NumPy's and pandas' default)."""
        s, n = self._sorted, len(self._sorted)
        pos = q * (n - 1)
        k = int(pos)
        if k + 1 >= n:
            return s[n - 1]
        return s[k] + (s[k + 1] - s[k]) * (pos - k)

    def threshold(self, alpha: float) -> float:
        """Return α (Q3 − Q1) / 2, or 0 while empty (as :func:`quartile_threshold`)."""
        if not self._fifo:
            return 0.0
        return alpha * (self.quantile(0.75) - self.quantile(0.25)) / 2.0

    def median(self) -> float:
        """Return the median (the mean of the middle two for an even count)."""
        s, n = self._sorted, len(self._sorted)
        return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2.0


class CausalArtifactClassifier:
    """Classifies one person's beats two beats late and returns their corrected values.

    Owns preallocated rings: the last 91 |dRR| and |mRR| for the thresholds and the
    last three raw beats of the current contiguous run.

    Parameters
    ----------
    c1, c2, alpha, quartile_window, median_window
        Lipponen & Tarvainen's parameters (NeuroKit2's defaults).
    """

    def __init__(
        self,
        c1: float = C1,
        c2: float = C2,
        alpha: float = ALPHA,
        quartile_window: int = QUARTILE_WINDOW,
        median_window: int = MEDIAN_WINDOW,
    ) -> None:
        self.c1, self.c2, self.alpha = c1, c2, alpha
        self._dabs = _SortedWindow(quartile_window)
        self._mabs = _SortedWindow(quartile_window)
        self._rr_window = _SortedWindow(median_window)  # raw RRs across gaps: the scale
        self._run_rr: list[float] = []  # current contiguous run: last 4 RRs
        self._run_t: list[int] = []
        self._run_d: list[float] = []  # raw dRR aligned with _run_rr (NaN at run start)
        self._merge_ms: float | None = None  # extra detection's interval, merged into next
        # A moved beat shifts the start of the next interval: raw RR + carry is the
        # next interval measured from the corrected beat time (ms).
        self._carry_ms = 0.0

    def flush(self) -> list[tuple[int, float, int]]:
        """Return the run's unclassified last beats as normal (a gap ends the run).

        NeuroKit2 leaves the last two beats of a series unclassified too.
        """
        out = []
        for t, rr in zip(self._run_t[-2:], self._run_rr[-2:], strict=True):
            out.append(self._emit(t, rr, NORMAL, rr))
        self._run_rr, self._run_t, self._run_d = [], [], []
        self._merge_ms = None
        self._carry_ms = 0.0
        return [o for o in out if o is not None]

    def _emit(
        self, t_ns: int, rr_ms: float, kind: int, med_rr: float, rr_next: float = math.nan
    ) -> tuple[int, float, int]:
        rr_ms = rr_ms + self._carry_ms  # from the corrected previous beat
        self._carry_ms = 0.0
        if self._merge_ms is not None:
            merged = self._merge_ms + rr_ms
            self._merge_ms = None
            return (t_ns, merged, MERGED)
        if kind == NORMAL:
            return (t_ns, rr_ms, NORMAL)
        if kind == MISSED:
            return (t_ns, rr_ms / 2.0, MISSED)
        if kind == EXTRA:
            self._merge_ms = rr_ms
            return (t_ns, math.nan, EXTRA)
        if not math.isfinite(rr_next):
            return (t_ns, med_rr, kind)  # no successor to interpolate towards
        # Ectopic or long/short: the beat moves to the midpoint of its neighbours.
        nn = (rr_ms + rr_next) / 2.0
        self._carry_ms = rr_ms - nn
        return (t_ns, nn, kind)

    def update(self, t_ns: int, rr_ms: float, gap_before: bool) -> list[tuple[int, float, int]]:
        """Add one beat; return the beats classified by it as (t_ns, nn_ms, kind).

        ``nn_ms`` is the corrected interval (NaN for a dropped extra detection).
        """
        out: list[tuple[int, float, int]] = []
        if gap_before and self._run_rr:
            out += self.flush()
        if self._run_rr:
            d = rr_ms - self._run_rr[-1]
            self._dabs.push(abs(d))
        else:
            d = math.nan
        self._rr_window.push(rr_ms)
        self._run_rr.append(rr_ms)
        self._run_t.append(t_ns)
        self._run_d.append(d)
        if len(self._run_rr) > 4:
            del self._run_rr[0], self._run_t[0], self._run_d[0]
        if len(self._run_rr) < 3:
            return out
        # Beat j = the third newest; its look-ahead j+1, j+2 has arrived.
        med_rr = self._rr_window.median()
        rr_j = self._run_rr[-3]
        mrr = rr_j - med_rr
        if mrr < 0:
            mrr *= 2.0
        self._mabs.push(abs(mrr))
        th1 = self._dabs.threshold(self.alpha)
        th2 = self._mabs.threshold(self.alpha)
        raw = self._run_d[-4:] if len(self._run_d) == 4 else [math.nan, *self._run_d]
        if th1 > 0:
            norm = (raw[0] / th1, raw[1] / th1, raw[2] / th1, raw[3] / th1)
        else:
            norm = (math.nan, math.nan, math.nan, math.nan)
        mrr_norm = mrr / th2 if th2 > 0 else math.nan
        if len(self._dabs) < WARMUP_DIFFS:
            kind = warmup_class(rr_j, self._run_rr[-2], med_rr)
            return [*out, self._emit(self._run_t[-3], rr_j, kind, med_rr, self._run_rr[-2])]
        kind = classify_beat(
            norm, mrr_norm, rr_j, self._run_rr[-2], med_rr, th2 if th2 > 0 else math.nan,
            self.c1, self.c2,
        )  # fmt: skip
        out.append(self._emit(self._run_t[-3], rr_j, kind, med_rr, self._run_rr[-2]))
        return out


def classify_series(
    t_ns: np.ndarray, rr_ms: np.ndarray, gap_before: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Return (kind, nn_ms) per beat of a whole series, exactly as the live path gives them.

    Examples
    --------
    >>> rr = 800.0 + np.tile([0.0, 12.0, 5.0], 14)[:40]
    >>> rr[20] = 1600.0  # a missed detection: two intervals merged
    >>> kind, nn = classify_series(np.cumsum(rr).astype(np.int64) * 1_000_000, rr)
    >>> KIND_NAMES[kind[20]], float(nn[20])
    ('missed', 800.0)
    """
    n = len(rr_ms)
    gaps = np.zeros(n, bool) if gap_before is None else np.asarray(gap_before, bool)
    clf = CausalArtifactClassifier()
    out: list[tuple[int, float, int]] = []
    for i in range(n):
        out += clf.update(int(t_ns[i]), float(rr_ms[i]), bool(gaps[i]))
    out += clf.flush()
    kind = np.array([k for _, _, k in out], dtype=np.int8)
    nn = np.array([v for _, v, _ in out], dtype=float)
    return kind, nn
