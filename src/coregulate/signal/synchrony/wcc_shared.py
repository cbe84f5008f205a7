"""Windowed cross-correlation of many pairs at once: each person's window parts computed once.

In a session of N people a step's windows end at the same grid index for every pair.
A window's leading series (centred, per lag) and following series (centred) depend on
one person only, so `PersonWindows` computes them once per person and `pair_batch`
combines two people's parts into the pair's `WindowBatch`. The arithmetic per row is
`wcc._windows`'s own (`leader_parts`, `follower_parts`, `combine_parts`, `peaks`),
so a pair's numbers equal `wcc_windows` on the two series bit for bit (the live
four-person stage equals the offline path, `tests/test_group_sync.py`); 15 pairs of
6 people need 6 people's parts, not 30.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from coregulate.signal.synchrony.wcc import (
    CONSTANT,
    MISSING,
    OK,
    WindowBatch,
    combine_parts,
    follower_parts,
    leader_parts,
    peaks,
)


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
    """

    def __init__(self, series: np.ndarray, ends: np.ndarray, w: int, lag: int) -> None:
        self.series = series
        self.ends = ends
        self.w = w
        self.lag = lag

    @cached_property
    def missing_lead(self) -> np.ndarray:
        """Return, per window, whether the leader's span (w + 2L samples) has a gap."""
        span = self.w + 2 * self.lag
        idx = (self.ends - span)[:, None] + np.arange(span)
        return ~np.isfinite(self.series[idx]).all(axis=-1)

    @cached_property
    def missing_follow(self) -> np.ndarray:
        """Return, per window, whether the follower's w samples have a gap."""
        idx = (self.ends - self.lag - self.w)[:, None] + np.arange(self.w)
        return ~np.isfinite(self.series[idx]).all(axis=-1)

    @cached_property
    def lead(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return `wcc.leader_parts` of every window."""
        return leader_parts(self.series, self.ends, self.w, self.lag)

    @cached_property
    def follow(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return `wcc.follower_parts` of every window."""
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
