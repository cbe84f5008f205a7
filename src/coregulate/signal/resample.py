"""Beat series on a regular time grid, without inventing data across gaps."""

from __future__ import annotations

import numpy as np

MAX_INTERP_GAP_S = 3.0  # no value farther than this from a beat on either side


def rr_on_grid(
    t_ns: np.ndarray,
    rr_ms: np.ndarray,
    gap_before: np.ndarray,
    grid_s: np.ndarray,
    max_gap_s: float = MAX_INTERP_GAP_S,
) -> np.ndarray:
    """Return RR (ms) linearly interpolated onto `grid_s`; NaN where no value is known.

    A beat's RR sits at its end time. A grid point is NaN before the first or after
    the last beat, between two beats separated by a gap (`gap_before` of the later
    one), or between two beats more than `max_gap_s` apart.

    Examples
    --------
    >>> t = np.array([1_000_000_000, 2_000_000_000, 9_000_000_000])
    >>> rr_on_grid(t, np.array([800.0, 1000.0, 900.0]), np.array([True, False, False]),
    ...            np.array([0.5, 1.5, 5.0]))
    array([ nan, 900.,  nan])
    """
    t_s = np.asarray(t_ns, dtype=float) / 1e9
    grid = np.asarray(grid_s, dtype=float)
    if t_s.size < 2:
        return np.full(grid.size, np.nan)
    rr = np.interp(grid, t_s, np.asarray(rr_ms, dtype=float))
    after = np.searchsorted(t_s, grid, side="left").clip(1, t_s.size - 1)
    span = t_s[after] - t_s[after - 1]
    bad = np.asarray(gap_before, dtype=bool)[after] | (span > max_gap_s)
    bad |= (grid < t_s[0]) | (grid > t_s[-1])
    rr[bad] = np.nan
    return rr
