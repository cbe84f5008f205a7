"""Beat classification and correction after Lipponen & Tarvainen (2019), causally.

Lipponen, J. A., & Tarvainen, M. P. (2019). A robust algorithm for heart rate
variability time series artefact correction using novel beat classification.
Journal of Medical Engineering & Technology, 43(3), 173-181.

The decision tree and its parameters are those of NeuroKit2's
``signal_fixpeaks(method="kubios")`` (c1 0.13, c2 0.17, α 5.2, 91-beat quartile
window, 11-beat median), read in its source. NeuroKit2 works offline with centred
windows (45 beats either side); here beat ``j`` is classified when beat
``j + lookahead`` arrives, with every window ending there: with the default
look-ahead of 45 beats (:data:`LOOKAHEAD_BEATS`) the quartile windows are
NeuroKit2's centred ones, the class is final and never changes afterwards. (The
tree itself needs two beats ahead; with only those the trailing thresholds lagged a
rise of variability and flagged normal beats of real series.) Before ten successive
differences exist, a 20 % rule stands in for the tree (:func:`warmup_class`). The
remaining differences from NeuroKit2 are listed in docs/metrics.md.

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

from coregulate.signal.artifact_rules import (
    ALPHA,
    C1,
    C2,
    ECTOPIC,
    EXTRA,
    KIND_NAMES,
    LONGSHORT,
    MAX_RR_MS,
    MEDIAN_WINDOW,
    MERGED,
    MIN_RR_MS,
    MISSED,
    NORMAL,
    QUARTILE_WINDOW,
    WARMUP_DIFFS,
    classify_beat,
    implausible_reason,
    plausible_beats,
    quartile_threshold,
    warmup_class,
)

__all__ = [
    "ALPHA",
    "C1",
    "C2",
    "ECTOPIC",
    "EXTRA",
    "KIND_NAMES",
    "LONGSHORT",
    "LOOKAHEAD_BEATS",
    "MAX_RR_MS",
    "MEDIAN_WINDOW",
    "MERGED",
    "MIN_RR_MS",
    "MISSED",
    "NORMAL",
    "PROVISIONAL_LOOKAHEAD_BEATS",
    "QUARTILE_WINDOW",
    "WARMUP_DIFFS",
    "CausalArtifactClassifier",
    "classify_beat",
    "classify_series",
    "implausible_reason",
    "plausible_beats",
    "quartile_threshold",
    "warmup_class",
]

LOOKAHEAD_BEATS: Final = 45
"""Beat j is classified when beat j + 45 arrives: NeuroKit2's centred 91-beat windows.

With the tree's own two beats only, the thresholds trail a rise of variability by
~45 beats and flagged 12 normal beats of pyhrv's real 5-minute series where
NeuroKit2 flags 5 (docs/metrics.md, "Artifacts on real data"). The live display
does not wait for it: :class:`~coregulate.signal.person.PersonSignal` shows the
newest beats with the provisional classes of a 2-beat classifier
(``PROVISIONAL_LOOKAHEAD_BEATS``) until their final class arrives."""
PROVISIONAL_LOOKAHEAD_BEATS: Final = 2


class _SortedWindow:
    """The last `size` values, kept sorted too, so quantiles cost O(1) to read."""

    def __init__(self, size: int) -> None:
        self._fifo: deque[float] = deque()
        self._sorted: list[float] = []
        self.size = size

    def __len__(self) -> int:
        return len(self._fifo)

    def push(self, value: float) -> None:
        if len(self._fifo) == self.size:
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

    def newest(self, count: int) -> np.ndarray:
        """Return the newest `count` values (all if fewer), oldest first."""
        return np.array(self.newest_list(count))

    def newest_list(self, count: int) -> list[float]:
        """Return the newest `count` values (all if fewer), oldest first, as a list."""
        values = list(self._fifo)
        return values[max(0, len(values) - count) :]


def _median(values: list[float]) -> float:
    """Return ``float(np.median(values))`` bit for bit, without NumPy's call.

    NumPy takes the middle value, or the mean of the middle two: their sum divided
    by 2, the operations here. Why not call it: its NaN check imports ``numpy.ma``
    (8-35 ms in every analysis process) for this one call per run's end.
    """
    if any(math.isnan(v) for v in values):
        return math.nan
    s, n = sorted(values), len(values)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2.0


class CausalArtifactClassifier:
    """Classifies one person's beats `lookahead` beats late; returns their corrected values.

    Owns bounded windows: the last 91 |dRR| and |mRR| for the thresholds, the last
    11 raw RRs for the local median, and the last ``lookahead + 2`` beats of the
    current contiguous run.

    Parameters
    ----------
    c1, c2, alpha, quartile_window, median_window
        Lipponen & Tarvainen's parameters (NeuroKit2's defaults).
    lookahead
        Beats that must have arrived after beat j before it is classified (at least
        2, what the tree needs). The threshold windows end at beat j + `lookahead`,
        and the median window (11 beats) is centred on j as far as the look-ahead
        allows. 45 is NeuroKit2's centred 91-beat window.
    """

    def __init__(
        self,
        c1: float = C1,
        c2: float = C2,
        alpha: float = ALPHA,
        quartile_window: int = QUARTILE_WINDOW,
        median_window: int = MEDIAN_WINDOW,
        lookahead: int = LOOKAHEAD_BEATS,
    ) -> None:
        if lookahead < 2:
            raise ValueError(f"the decision tree looks two beats ahead; lookahead {lookahead} < 2")
        self.c1, self.c2, self.alpha = c1, c2, alpha
        self.lookahead = lookahead
        self._median_ahead = min(median_window // 2, lookahead)
        self._dabs = _SortedWindow(quartile_window)
        self._mabs = _SortedWindow(quartile_window)
        self._rr_window = _SortedWindow(median_window)  # raw RRs across gaps: the scale
        # The current contiguous run's last beats: [t_ns, rr, dRR (NaN at the run's
        # start), mRR, local median] (the last two once the median window is full).
        self._run: list[list] = []
        self._merge_ms: float | None = None  # extra detection's interval, merged into next
        # A moved beat shifts the start of the next interval: raw RR + carry is the
        # next interval measured from the corrected beat time (ms).
        self._carry_ms = 0.0

    def flush(self) -> list[tuple[int, float, int]]:
        """Return the run's unclassified beats (a gap ends the run, or the series ends).

        Beats with two successors in the run are classified with the windows as they
        stand; the last two pass as normal, as NeuroKit2 leaves the last two beats of
        a series unclassified.
        """
        out = []
        unclassified = min(len(self._run), self.lookahead)
        for back in range(unclassified, 0, -1):
            if math.isnan(self._run[-back][3]):
                self._set_deviation(back, at_end=True)
        # Windows as NeuroKit2's at a series' end: centred, cut off by the end.
        half = self._dabs.size // 2
        for back in range(unclassified, 2, -1):
            out.append(self._classify(back, window=half + back))
        for t, rr, *_ in self._run[-2:]:
            out.append(self._emit(t, rr, NORMAL, rr))
        self._run = []
        self._merge_ms = None
        self._carry_ms = 0.0
        return out

    def _set_deviation(self, back: int, at_end: bool = False) -> None:
        """Set mRR and the median of the beat `back` places from the newest (1: newest).

        The median window is the newest 11 raw RRs; `at_end` (the run is over): the
        newest of them from 5 before the beat on, centred as far as the end allows.
        """
        beat = self._run[-back]
        if at_end:
            med = _median(self._rr_window.newest_list(self._rr_window.size // 2 + back))
        else:
            med = self._rr_window.median()
        mrr = beat[1] - med
        if mrr < 0:
            mrr *= 2.0
        beat[3], beat[4] = mrr, med
        self._mabs.push(abs(mrr))

    def _classify(self, back: int, window: int | None = None) -> tuple[int, float, int]:
        """Classify the beat `back` places from the newest; return its corrected value.

        The thresholds come from the full windows, or from their newest `window` values.
        """
        run = self._run
        t_j, rr_j, _, mrr, med_rr = run[-back]
        rr_next = run[-back + 1][1]
        if len(self._dabs) < WARMUP_DIFFS:
            return self._emit(t_j, rr_j, warmup_class(rr_j, rr_next, med_rr), med_rr, rr_next)
        if window is None:
            th1 = self._dabs.threshold(self.alpha)
            th2 = self._mabs.threshold(self.alpha)
        else:
            th1 = quartile_threshold(self._dabs.newest(window), self.alpha)
            th2 = quartile_threshold(self._mabs.newest(window), self.alpha)
        d_prev = run[-back - 1][2] if back < len(run) else math.nan
        raw = (d_prev, run[-back][2], run[-back + 1][2], run[-back + 2][2])
        if th1 > 0:
            norm = (raw[0] / th1, raw[1] / th1, raw[2] / th1, raw[3] / th1)
        else:
            norm = (math.nan, math.nan, math.nan, math.nan)
        mrr_norm = mrr / th2 if th2 > 0 else math.nan
        kind = classify_beat(
            norm, mrr_norm, rr_j, rr_next, med_rr, th2 if th2 > 0 else math.nan,
            self.c1, self.c2,
        )  # fmt: skip
        return self._emit(t_j, rr_j, kind, med_rr, rr_next)

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
        if gap_before and self._run:
            out += self.flush()
        if self._run:
            d = rr_ms - self._run[-1][1]
            self._dabs.push(abs(d))
        else:
            d = math.nan
        self._rr_window.push(rr_ms)
        self._run.append([t_ns, rr_ms, d, math.nan, math.nan])
        if len(self._run) > self.lookahead + 2:
            del self._run[0]
        # The median window (the last 11 raw RRs) is centred on the beat this far back.
        if len(self._run) > self._median_ahead:
            self._set_deviation(self._median_ahead + 1)
        if len(self._run) > self.lookahead:
            out.append(self._classify(self.lookahead + 1))
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
