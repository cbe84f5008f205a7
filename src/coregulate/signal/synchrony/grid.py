"""Each person's series on one common grid of the session clock, causally, gaps kept.

The grid is t_j = j * period (ns since session start). The value at t_j is the
person's last value stamped at or before t_j (sample-and-hold), if it is at most
`max_hold_s` old; otherwise it is missing (NaN). So a grid value never uses data
from after its own time (causal: the live path can compute it as soon as it is
final), both people are delayed alike (a hold of about half a beat on average,
which leaves lags between them unchanged), and a disconnection stays a gap.

For heart rate the values are beats: each beat's instantaneous HR 60000 / RR at
the beat's end time, after screening (below). A value of NaN (e.g. a metric that
was "not available") is held like any other, so it makes the grid missing.

Screening, as in the minimal metrics stage: a beat whose RR is outside 250-2500 ms
or differs from the median of the previous (up to) five accepted beats of its
segment by more than 20 % (Malik et al. 1989) is left out; its slot is bridged by
the hold. A `gap_before` starts a new segment.
"""

from __future__ import annotations

import numpy as np

RR_LIMITS_MS = (250.0, 2500.0)
MAX_CHANGE = 0.2
_RECENT = 5


class BeatScreen:
    """Accepts or rejects beats one by one; the same object serves live and offline."""

    def __init__(self, max_change: float = MAX_CHANGE) -> None:
        self.max_change = max_change
        self._recent: list[float] = []
        self.rejected = 0

    def accept(self, rr_ms: float, gap_before: bool) -> bool:
        """Return True if this beat is kept."""
        if gap_before:
            self._recent.clear()
        if not RR_LIMITS_MS[0] <= rr_ms <= RR_LIMITS_MS[1]:
            self.rejected += 1
            return False
        if self._recent:
            ordered = sorted(self._recent)
            k = len(ordered)
            median = ordered[k // 2] if k % 2 else 0.5 * (ordered[k // 2 - 1] + ordered[k // 2])
            if abs(rr_ms - median) > self.max_change * median:
                self.rejected += 1
                return False
        self._recent.append(rr_ms)
        if len(self._recent) > _RECENT:
            del self._recent[0]
        return True


def beat_values(rr_ms: float, kind: str) -> float:
    """Return the grid value of one beat: "hr_bpm" (60000 / RR) or "ibi_ms" (RR)."""
    return 60000.0 / rr_ms if kind == "hr_bpm" else float(rr_ms)


def screen_beats(
    t_ns: np.ndarray, rr_ms: np.ndarray, gap_before: np.ndarray, kind: str = "hr_bpm"
) -> tuple[np.ndarray, np.ndarray]:
    """Return (t_ns, value) of the accepted beats of a whole recording.

    Parameters
    ----------
    t_ns, rr_ms : array
        Beat end times (session clock) and intervals, oldest first.
    gap_before : array of bool
        True where beats were lost before this one.
    kind : {"hr_bpm", "ibi_ms"}
        Which series the values are.
    """
    screen = BeatScreen()
    keep_t: list[int] = []
    keep_v: list[float] = []
    for t, rr, gap in zip(t_ns.tolist(), rr_ms.tolist(), gap_before.tolist(), strict=True):
        if screen.accept(float(rr), bool(gap)):
            keep_t.append(int(t))
            keep_v.append(beat_values(float(rr), kind))
    return np.array(keep_t, dtype=np.int64), np.array(keep_v, dtype=np.float64)


def hold_on_grid(
    event_t_ns: np.ndarray, event_v: np.ndarray, grid_t_ns: np.ndarray, max_hold_ns: int
) -> np.ndarray:
    """Return the value held at each grid time: last event at or before it, NaN if stale.

    Examples
    --------
    >>> hold_on_grid(np.array([0, 10]), np.array([1.0, 2.0]), np.array([5, 10, 30]), 15)
    array([ 1.,  2., nan])
    """
    idx = np.searchsorted(event_t_ns, grid_t_ns, side="right") - 1
    out = np.full(grid_t_ns.shape, np.nan)
    has = idx >= 0
    fresh = np.zeros_like(has)
    fresh[has] = grid_t_ns[has] - event_t_ns[idx[has]] <= max_hold_ns
    out[fresh] = event_v[idx[fresh]]
    return out
