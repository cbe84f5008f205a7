"""The plot decimation keeps peaks and gaps (what the eye must still see)."""

from __future__ import annotations

import numpy as np

from coregulate.ui.decimate import envelope
from coregulate.ui.full_view import follow_range


def test_envelope_keeps_extremes_gaps_and_the_newest_rows() -> None:
    x = np.arange(3600.0)
    y = np.sin(x / 50)
    y[1000] = 9.0  # a one-sample peak
    y[2000:2010] = np.nan  # a gap
    dx, dy = envelope(x, y, 0, 900)
    assert dx.size <= 910 and np.all(np.diff(dx) >= 0)
    assert np.nanmax(dy) == 9.0 and np.nanmin(dy) == np.nanmin(y)
    gap = (dx >= 2000) & (dx <= 2009)
    assert np.isnan(dy[gap]).all() and np.isnan(dy).sum() <= 2 * 4  # widened by at most a bin
    assert dx[-1] == 3599.0 and dy[-1] == y[-1]
    # Short series are drawn as they are.
    sx, sy = envelope(x[:100], y[:100], 10, 900)
    assert np.array_equal(sx, x[10:100]) and np.array_equal(sy, y[10:100])


def test_bins_do_not_shift_as_the_window_slides() -> None:
    x = np.arange(5000.0)
    y = np.cos(x / 7)
    a = envelope(x, y, 1000, 600)
    b = envelope(x, y, 1003, 600)  # the same bins: start is aligned to the bin size
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_follow_range_contains_now_and_moves_in_steps() -> None:
    for now_s in (0.0, 59.0, 601.0, 3599.5):
        lo, hi = follow_range(now_s, 600)
        assert hi - lo == 10 and lo * 60 <= now_s <= hi * 60
    assert follow_range(601.0, 600) == follow_range(605.0, 600)  # a 6 s step
    assert follow_range(3599.5, 0) == (0.0, 61.0)  # whole minutes, the newest point inside
