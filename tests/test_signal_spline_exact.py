"""The fast paths of the NumPy splines give the same bits as the plain algorithms.

`signal/spline.py` solves the quintic's collocation system with a pentadiagonal
elimination over plain variables for the interior rows and computes the de Boor–Cox
recurrence one degree at a time over 2-D arrays (both for speed: RSA runs them every
5 s per person). Neither may change a number: these tests hold them, bit for bit, to
the general banded elimination and to the textbook scalar recurrence, on windows of
pyhrv's real 1-hour NN series cut as the live chain cuts them (240 s, every 5 s).
"""

from __future__ import annotations

import numpy as np
import pytest

from coregulate.signal.spline import (
    QUINTIC,
    _basis_k,
    _pentadiagonal_run,
    _solve_band,
    quintic_collocation,
)
from signal_support import pyhrv_nn


def _real_windows(step_s: float = 5.0, window_s: float = 240.0) -> list[tuple]:
    """Return (t_s from the window's first beat, nn_ms) of every 240 s window of pyhrv Long."""
    nn = pyhrv_nn("Long")
    if nn is None:
        pytest.skip("pyhrv sample series not present")
    t = np.cumsum(nn) / 1000.0
    out = []
    for end in np.arange(window_s, t[-1], step_s)[::7]:  # every 7th: ~100 windows
        sel = (t > end - window_s) & (t <= end)
        out.append((t[sel] - t[sel][0], nn[sel]))
    return out


def test_pentadiagonal_elimination_equals_general_elimination_bit_for_bit() -> None:
    windows = _real_windows()
    rng = np.random.default_rng(3)
    for n in (6, 7, 8, 9, 12, 40):  # short systems: the fast run is short or empty
        x = np.cumsum(rng.uniform(0.3, 2.0, n))
        windows.append((x - x[0], rng.normal(800.0, 60.0, n)))
    for t_s, nn in windows:
        _, first, rows, _ = quintic_collocation(t_s)
        fast = _solve_band(first, [list(r) for r in rows], nn.tolist())
        plain = _solve_band(first, [list(r) for r in rows], nn.tolist(), fast=False)
        assert np.array(fast).tobytes() == np.array(plain).tobytes()
    # The fast path is the one that ran: all but the rows near the ends are pentadiagonal.
    _, first, rows, _ = quintic_collocation(windows[0][0])
    interior = sum(
        f == i - 2 and len(r) == 5 for i, (f, r) in enumerate(zip(first, rows, strict=True))
    )
    assert interior >= len(rows) - 8
    k0, k1 = _pentadiagonal_run(np.array(first), np.array(first) + [len(r) - 1 for r in rows])
    assert k1 - k0 >= len(rows) - 10


def _textbook_basis(knots: list[float], u: float, j: int, k: int) -> list[float]:
    """Return B[j-k..j](u) by the scalar de Boor–Cox loop (de Boor's BSPLVB)."""
    values = [1.0]
    for d in range(1, k + 1):
        saved = 0.0
        new = []
        for r in range(d):
            right, left = knots[j + r + 1] - u, u - knots[j + 1 - d + r]
            temp = values[r] / (right + left)
            new.append(saved + right * temp)
            saved = left * temp
        new.append(saved)
        values = new
    return values


def test_basis_values_equal_the_scalar_recurrence_bit_for_bit() -> None:
    t_s, _ = _real_windows()[3]
    knots = np.concatenate(([t_s[0]] * 6, t_s[3:-3], [t_s[-1]] * 6))
    u = np.concatenate((np.arange(t_s[0], t_s[-1], 0.5), t_s, [t_s[0] - 0.7, t_s[-1] + 0.9]))
    j, values = _basis_k(knots, u, QUINTIC, t_s.size)
    ref = [
        _textbook_basis(knots.tolist(), float(v), int(s), QUINTIC)
        for v, s in zip(u, j, strict=True)
    ]
    assert np.array(ref).tobytes() == np.ascontiguousarray(values.T).tobytes()
