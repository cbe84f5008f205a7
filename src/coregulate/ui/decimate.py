"""Fewer points to draw, same picture: a min/max envelope per bin, gaps kept as gaps.

An hour of one update a second is 3 600 points on a plot about 900 pixels wide:
four points per pixel column, which software rendering pays for and no eye sees.
Each bin of `k` points becomes its minimum and its maximum (so peaks survive), and
a bin holding a NaN becomes NaN (so a gap still breaks the line; it can widen by
at most one bin). Bins are aligned to absolute row numbers, so the picture does
not shimmer as the window slides.
"""

from __future__ import annotations

import numpy as np


def envelope(
    x: np.ndarray, y: np.ndarray, start: int, max_points: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return (x, y) to draw for rows `start:` of `x`, `y`, at most about `max_points` long.

    Parameters
    ----------
    x, y
        The whole series (times ascending; NaN in `y` is a gap).
    start
        First row wanted; bins are aligned to multiples of the bin size from row 0.
    max_points
        Points the caller can use (about twice the plot's width in pixels).
    """
    n = x.size - start
    if n <= max_points or max_points < 4:
        return x[start:], y[start:]
    k = int(np.ceil(2 * n / max_points))  # rows per bin; each bin gives 2 points
    first = start - start % k  # aligned: the same rows fall in the same bin every frame
    m = (x.size - 1 - first) // k  # the newest row is never binned: it is the current value
    end = first + m * k
    yb = y[first:end].reshape(m, k)
    xb = x[first:end].reshape(m, k)
    lo = yb.min(axis=1)  # NaN propagates: a bin with a gap is a gap
    hi = yb.max(axis=1)
    out_x = np.empty(2 * m + (x.size - end))
    out_y = np.empty_like(out_x)
    out_x[0 : 2 * m : 2], out_x[1 : 2 * m : 2] = xb[:, 0], xb[:, -1]
    out_y[0 : 2 * m : 2], out_y[1 : 2 * m : 2] = lo, hi
    out_x[2 * m :], out_y[2 * m :] = x[end:], y[end:]  # the newest rows, not yet a full bin
    return out_x, out_y
