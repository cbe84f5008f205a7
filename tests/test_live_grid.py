"""The live grid's few-at-a-time interpolation equals `grid.interpolate_on_grid` bit for bit."""

from __future__ import annotations

import numpy as np

from coregulate.signal.synchrony.grid import interpolate_on_grid
from coregulate.signal.synchrony.live import _interpolate_few


def test_few_grid_times_interpolate_as_the_array_path() -> None:
    rng = np.random.default_rng(7)
    t = np.cumsum(rng.integers(300_000_000, 1_400_000_000, size=400))
    t[50:] += 9_000_000_000  # a gap longer than the hold
    t[100] = t[99]  # two values at the same time
    v = 60000.0 / rng.uniform(500.0, 1200.0, size=t.size)
    v[200] = np.nan  # a missing value
    period, hold = 250_000_000, 5_000_000_000
    grid = np.arange(-4, int(t[-1] // period) + 8, dtype=np.int64) * period
    grid[10] = t[5]  # a grid time on a value
    want = interpolate_on_grid(t, v, grid, hold)
    got = np.array(_interpolate_few(t.tolist(), v.tolist(), grid.tolist(), hold))
    assert got.tobytes() == want.tobytes()
    assert np.isnan(want).any() and np.isfinite(want).sum() > 1000
