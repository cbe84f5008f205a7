"""Windowed cross-correlation of many pairs at once: each person's window parts computed once.

In a session of N people a step's windows end at the same grid index for every pair.
A window's leading series (centred, per lag) and following series (centred) depend on
one person only, so `PersonWindows` computes them once per person and `pair_batch`
combines two people's parts into the pair's `WindowBatch`. The arithmetic per row is
`wcc._windows`'s own (`leader_parts`, `follower_parts`, `combine_parts`, `peaks`),
so a pair's numbers equal `wcc_windows` on the two series bit for bit (the live
four-person stage equals the offline path, `tests/test_group_sync.py`); 15 pairs of
6 people need 6 people's parts, not 30.

Live, consecutive steps' windows share most of their rows: `WindowRows` keeps a
person's centred row per window start across steps, so a step centres only the
starts it adds (4 at the heart-rate defaults) instead of all 2L + 1 leading rows.
"""

from __future__ import annotations

from functools import cached_property
from typing import NamedTuple

import numpy as np

from coregulate.signal.synchrony.wcc import (
    CONSTANT,
    MISSING,
    OK,
    WindowBatch,
    _flat,
    combine_parts,
    follower_parts,
    leader_parts,
    peaks,
)

# Rows kept per person: a few steps' windows, then a fresh buffer (never overwritten in
# place, so parts handed out earlier keep their values).
_ROWS = 512
_KEEP = 128


Parts = tuple[np.ndarray, np.ndarray, np.ndarray]


class KeptWindows(NamedTuple):
    """One person's parts of windows from their kept rows: both roles' parts, and gaps."""

    lead: Parts
    follow: Parts
    missing_lead: np.ndarray  # (n,) bool
    missing_follow: np.ndarray  # (n,) bool


class WindowRows:
    """One person's window rows per start (centred, sum of squares, flat, gap), kept.

    The row of start s holds ``x[s : s + w]`` centred, computed as `wcc.leader_parts`
    and `wcc.follower_parts` compute each gathered row (the same contiguous w samples,
    the same reductions), so a window's parts taken from here equal theirs bit for
    bit: the leader's rows τ = -L..L are the rows of starts ``end - w`` down to
    ``end - w - 2L``, the follower's the row of ``end - L - w``. Rows are stored
    newest first (start s at index ``size - 1 - (s - base)``), so a window's leading
    rows are one contiguous slice in τ order.
    """

    def __init__(self, w: int, lag: int) -> None:
        self.w = w
        self.lag = lag
        self._offsets = np.arange(w)
        self._taus = np.arange(2 * lag + 1)
        self._restart(0)

    def windows(self, series: np.ndarray, ends: np.ndarray) -> KeptWindows | None:
        """Return the parts of the windows ending at `ends` (ascending), or None if not kept.

        None when a window starts before the rows kept (a pair far behind the
        others): the caller computes it directly. One window's parts are views of
        the rows, several windows' gathered copies.
        """
        first_end, last_end = int(ends[0]), int(ends[-1])
        lo = first_end - self.w - 2 * self.lag  # the earliest start (row τ = L)
        hi = last_end - self.w + 1  # past the latest start (row τ = -L of the last)
        if hi - lo > _ROWS // 2:
            return None  # many windows at once (a catch-up): computed directly
        if self._n == 0 or hi - (self._base + self._n) > _ROWS // 2:
            self._restart(lo)  # the first window, or a jump (steps computed without rows)
        elif lo < self._base:
            return None
        if hi > self._base + self._n:
            self._fill(series, lo, hi)
        top = self._sxx.size + self._base - 1  # start s is at index top - s
        if ends.size == 1:
            i, j, f = top - (hi - 1), top - lo + 1, top - (last_end - self.lag - self.w)
            return KeptWindows(
                (self._xc[i:j][None], self._sxx[i:j][None], self._flat[i:j].any(keepdims=True)),
                (self._xc[f : f + 1], self._sxx[f : f + 1], self._flat[f : f + 1]),
                self._gap[i:j].any(keepdims=True),
                self._gap[f : f + 1],
            )
        rows = (top - (ends - self.w))[:, None] + self._taus  # (n, 2L+1), τ = -L..L
        follow = top - (ends - self.lag - self.w)
        return KeptWindows(
            (self._xc[rows], self._sxx[rows], self._flat[rows].any(axis=1)),
            (self._xc[follow], self._sxx[follow], self._flat[follow]),
            self._gap[rows].any(axis=1),
            self._gap[follow],
        )

    def _restart(self, base: int) -> None:
        """Keep no rows, from window start `base` on (fresh buffers: parts handed out stay)."""
        self._base = base
        self._n = 0
        self._xc = np.empty((0, self.w))
        self._sxx = np.empty(0)
        self._flat = np.empty(0, dtype=bool)
        self._gap = np.empty(0, dtype=bool)

    def _renew(self, keep_from: int) -> None:
        """Move the rows from start `keep_from` on into fresh buffers.

        Rows handed out (views) are never overwritten.
        """
        keep = self._base + self._n - keep_from
        at = self._sxx.size - self._n  # the newest row
        old = self._xc, self._sxx, self._flat, self._gap
        self._xc = np.empty((_ROWS, self.w))
        self._sxx = np.empty(_ROWS)
        self._flat = np.empty(_ROWS, dtype=bool)
        self._gap = np.empty(_ROWS, dtype=bool)
        for kept, part in zip((self._xc, self._sxx, self._flat, self._gap), old, strict=True):
            kept[_ROWS - keep :] = part[at : at + keep]
        self._base = keep_from
        self._n = keep

    def _fill(self, series: np.ndarray, lo: int, hi: int) -> None:
        """Centre the rows of the starts up to `hi` (exclusive) not kept yet.

        Rows from start `lo` on (the windows asked for) stay, and up to `_KEEP` more
        before the new ones (pairs a few steps behind); `hi - lo` is at most half
        the buffer.
        """
        first = self._base + self._n
        new = hi - first
        if self._n + new > self._sxx.size:
            self._renew(max(self._base, min(lo, first - _KEEP)))
        # Each start's row as `leader_parts` gathers and reduces it (`mean`, `sum` and
        # `max` are these reductions, without their Python wrappers).
        xs = series[np.arange(first, hi)[:, None] + self._offsets]  # (new, w)
        xc = xs - np.add.reduce(xs, axis=1, keepdims=True) / self.w
        sxx = np.add.reduce(xc * xc, axis=1)
        at = self._sxx.size - self._n
        rows = slice(at - new, at)  # newest first
        self._xc[rows] = xc[::-1]
        self._sxx[rows] = sxx[::-1]
        self._flat[rows] = _flat(sxx, xs, self.w)[::-1]
        self._gap[rows] = ~np.logical_and.reduce(np.isfinite(xs[::-1]), axis=1)
        self._n += new


class PersonWindows:
    """One person's parts of the windows ending at `ends` (each part computed on first use).

    Parameters
    ----------
    series : array
        The person's grid series from index 0 (at least up to ``ends[-1]``).
    ends : array of int
        Exclusive window ends; each at least ``w + 2 * lag`` (not too early).
    w, lag : int
        Window length and maximum lag in samples (``w >= 2 * lag``, ``w >= 3``).
    rows : WindowRows or None
        The person's kept rows (the same w and lag): the parts come from there.
    """

    def __init__(
        self, series: np.ndarray, ends: np.ndarray, w: int, lag: int, rows: WindowRows | None = None
    ) -> None:
        self.series = series
        self.ends = ends
        self.w = w
        self.lag = lag
        self._kept = rows.windows(series, ends) if rows is not None else None

    @cached_property
    def missing_lead(self) -> np.ndarray:
        """Return, per window, whether the leader's span (w + 2L samples) has a gap."""
        if self._kept is not None:
            return self._kept.missing_lead
        span = self.w + 2 * self.lag
        idx = (self.ends - span)[:, None] + np.arange(span)
        return ~np.isfinite(self.series[idx]).all(axis=-1)

    @cached_property
    def missing_follow(self) -> np.ndarray:
        """Return, per window, whether the follower's w samples have a gap."""
        if self._kept is not None:
            return self._kept.missing_follow
        idx = (self.ends - self.lag - self.w)[:, None] + np.arange(self.w)
        return ~np.isfinite(self.series[idx]).all(axis=-1)

    @cached_property
    def lead(self) -> Parts:
        """Return `wcc.leader_parts` of every window."""
        if self._kept is not None:
            return self._kept.lead
        return leader_parts(self.series, self.ends, self.w, self.lag)

    @cached_property
    def follow(self) -> Parts:
        """Return `wcc.follower_parts` of every window."""
        if self._kept is not None:
            return self._kept.follow
        return follower_parts(self.series, self.ends, self.w, self.lag)


def pair_batch(leader: PersonWindows, follower: PersonWindows) -> WindowBatch:
    """Return the pair's windows (as `wcc_windows(leader, follower, ends, w, lag)`)."""
    ends, lag = leader.ends, leader.lag
    n = ends.size
    if n == 1 and not (leader.missing_lead[0] or follower.missing_follow[0]):
        # A live step's one window, available: no masks (the same arithmetic).
        r, flat = combine_parts(leader.lead, follower.follow)
        return peaks(ends, r, np.array([CONSTANT if flat[0] else OK], dtype=np.int8), lag)
    r = np.full((n, 2 * lag + 1), np.nan)
    reason = np.full(n, OK, dtype=np.int8)
    missing = leader.missing_lead | follower.missing_follow
    reason[missing] = MISSING
    ok = np.flatnonzero(~missing)
    if ok.size:
        if ok.size == n:
            lead, follow = leader.lead, follower.follow
        else:
            lead = tuple(part[ok] for part in leader.lead)
            follow = tuple(part[ok] for part in follower.follow)
        r[ok], flat = combine_parts(lead, follow)  # type: ignore[arg-type]
        reason[ok[flat]] = CONSTANT
    return peaks(ends, r, reason, lag)
