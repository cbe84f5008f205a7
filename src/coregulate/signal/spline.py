"""Interpolating splines in NumPy: SciPy's ``make_interp_spline(x, y, k=2)`` and ``k=5``.

NeuroKit2 resamples NN intervals with ``interp1d(kind="quadratic")``, which is
SciPy's quadratic B-spline with "not-a-knot"-style knots: Greville sites (the
midpoints of the data) with the second and second-to-last dropped, and the end
points repeated three times (de Boor, *A Practical Guide to Splines*, XIII; SciPy
``interpolate/_bsplines.py::_not_a_knot``). Every data point then lies in the span of
the basis functions i-1, i and i+1, so the collocation system is tridiagonal and is
solved by the Thomas algorithm. RSA resamples heart period with the quintic
(``k=5``: knots at the data points ``x[3:-3]``, collocation banded, solved by
elimination without pivoting), whose loss in the breathing band hardly depends on
the beat rate (docs/metrics.md, "RSA").

Why not call SciPy: importing ``scipy.interpolate`` costs 0.3-0.5 s, more than the
rest of ``coregulate analyze`` on a 1-hour dyad, and the live signal stage pays it at
every start. ``tests/test_signal_spline.py`` checks this module against SciPy (the
definition of record) to 1e-9 relative on real and random series.
"""

from __future__ import annotations

import numpy as np

DEGREE = 2


def quadratic_knots(x: np.ndarray) -> np.ndarray:
    """Return the knot vector SciPy builds for a quadratic interpolating spline through `x`."""
    mid = (x[1:] + x[:-1]) / 2.0
    return np.concatenate((np.repeat(x[0], 3), mid[1:-1], np.repeat(x[-1], 3)))


def _basis(knots: np.ndarray, u: np.ndarray, n_coef: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (span index j, the 3 nonzero basis values B[j-2..j] at each u), Cox–de Boor."""
    j = np.clip(np.searchsorted(knots, u, side="right") - 1, DEGREE, n_coef - 1)
    left1, right1 = u - knots[j], knots[j + 1] - u
    left2, right2 = u - knots[j - 1], knots[j + 2] - u
    temp = 1.0 / (right1 + left1)
    n0, n1 = right1 * temp, left1 * temp
    temp0 = n0 / (right1 + left2)
    temp1 = n1 / (right2 + left1)
    values = np.stack((right1 * temp0, left2 * temp0 + right2 * temp1, left1 * temp1), axis=1)
    return j, values


def _solve_tridiagonal(
    sub: np.ndarray, diag: np.ndarray, sup: np.ndarray, rhs: np.ndarray
) -> np.ndarray:
    """Return x with sub[i]·x[i-1] + diag[i]·x[i] + sup[i]·x[i+1] = rhs[i] (Thomas algorithm)."""
    a, b, c, d = sub.tolist(), diag.tolist(), sup.tolist(), rhs.tolist()
    n = len(b)
    cp, dp = [0.0] * n, [0.0] * n
    cp[0], dp[0] = c[0] / b[0], d[0] / b[0]
    for i in range(1, n):
        m = b[i] - a[i] * cp[i - 1]
        cp[i] = c[i] / m
        dp[i] = (d[i] - a[i] * dp[i - 1]) / m
    x = [0.0] * n
    x[-1] = dp[-1]
    for i in range(n - 2, -1, -1):
        x[i] = dp[i] - cp[i] * x[i + 1]
    return np.array(x)


def quadratic_spline_coefficients(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (knots, B-spline coefficients) of the quadratic spline through (x, y).

    `x` strictly increasing, at least 3 points.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = x.size
    if n < 3:
        raise ValueError(f"a quadratic spline needs at least 3 points, got {n}")
    knots = quadratic_knots(x)
    _, values = _basis(knots, x, n)
    # Data point i lies in the span of basis functions i-1, i, i+1 (the first and the
    # last in the end spans, where the outer value is exactly 0): tridiagonal.
    sub, diag, sup = values[:, 0].copy(), values[:, 1].copy(), values[:, 2].copy()
    if values[0, 2] != 0.0 or values[-1, 0] != 0.0:
        raise ValueError("collocation system is not tridiagonal (repeated x values?)")
    diag[0], sup[0] = values[0, 0], values[0, 1]
    sub[-1], diag[-1] = values[-1, 1], values[-1, 2]
    coef = _solve_tridiagonal(sub, diag, sup, y)
    return knots, coef


def quadratic_spline(x: np.ndarray, y: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Return the quadratic interpolating spline through (x, y) evaluated at `u`.

    Points outside ``[x[0], x[-1]]`` are extrapolated from the end pieces, as SciPy's
    ``BSpline`` does by default.

    Examples
    --------
    >>> x = np.array([0.0, 1.0, 2.5, 3.0, 4.0])
    >>> y = x**2  # a quadratic is reproduced exactly
    >>> np.round(quadratic_spline(x, y, np.array([0.5, 2.0, 3.5])), 12)
    array([ 0.25,  4.  , 12.25])
    """
    knots, coef = quadratic_spline_coefficients(x, y)
    j, values = _basis(knots, np.asarray(u, dtype=float), coef.size)
    return values[:, 0] * coef[j - 2] + values[:, 1] * coef[j - 1] + values[:, 2] * coef[j]


QUINTIC = 5


def _basis_k(knots: np.ndarray, u: np.ndarray, k: int, n_coef: int) -> tuple[np.ndarray, list]:
    """Return (span j, the k + 1 basis values B[j-k..j] at each u): de Boor–Cox, any degree.

    The denominators are knot differences that include the span [t_j, t_j+1), which
    is never empty for the clipped j, so none is 0.
    """
    j = np.clip(np.searchsorted(knots, u, side="right") - 1, k, n_coef - 1)
    values = [np.ones(u.size)]
    for d in range(1, k + 1):
        left = [None] + [u - knots[j + 1 - e] for e in range(1, d + 1)]
        right = [None] + [knots[j + e] - u for e in range(1, d + 1)]
        saved: np.ndarray | float = 0.0
        new = []
        for r in range(d):
            temp = values[r] / (right[r + 1] + left[d - r])
            new.append(saved + right[r + 1] * temp)
            saved = left[d - r] * temp
        new.append(saved)
        values = new
    return j, values


def _solve_band(first: list[int], rows: list[list[float]], rhs: list[float]) -> list[float]:
    """Return x of the banded system whose row i holds `rows[i]` from column `first[i]`.

    `first` must not decrease. Gaussian elimination without pivoting, which is
    stable for B-spline collocation matrices (totally positive: de Boor, *A
    Practical Guide to Splines*, XIII); fill-in stays inside each row's extent once
    every row reaches at least as far right as the rows above it.
    """
    n = len(rows)
    last = [f + len(r) - 1 for f, r in zip(first, rows, strict=True)]
    for i in range(1, n):
        if last[i - 1] > last[i]:
            rows[i] = rows[i] + [0.0] * (last[i - 1] - last[i])
            last[i] = last[i - 1]
    below = 0  # rows k + 1 .. below - 1 have a nonzero (or filled) entry in column k
    for k in range(n):
        row_k, f_k, l_k = rows[k], first[k], last[k]
        pivot = row_k[k - f_k]
        below = max(below, k + 1)
        while below < n and first[below] <= k:
            below += 1
        for i in range(k + 1, below):
            row_i, f_i = rows[i], first[i]
            factor = row_i[k - f_i] / pivot
            if factor != 0.0:
                for c in range(k + 1, l_k + 1):
                    row_i[c - f_i] -= factor * row_k[c - f_k]
                rhs[i] -= factor * rhs[k]
    x = [0.0] * n
    for k in range(n - 1, -1, -1):
        row_k, f_k = rows[k], first[k]
        s = rhs[k]
        for c in range(k + 1, last[k] + 1):
            s -= row_k[c - f_k] * x[c]
        x[k] = s / row_k[k - f_k]
    return x


def quintic_spline(x: np.ndarray, y: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Return the quintic interpolating spline through (x, y) evaluated at `u`.

    SciPy's ``make_interp_spline(x, y, k=5)``: knots at the data points ``x[3:-3]``
    ("not-a-knot"), the ends repeated six times; B-spline coefficients from the
    banded collocation system (:func:`_solve_band`). Equal to SciPy's to rounding
    (tests/test_signal_spline.py). `x` strictly increasing, at least 6 points; `u`
    outside ``[x[0], x[-1]]`` is extrapolated from the end pieces.

    Examples
    --------
    >>> x = np.array([0.0, 0.7, 1.5, 2.0, 3.1, 4.0, 5.2])
    >>> [round(float(v), 9) for v in quintic_spline(x, x**5, np.array([1.0, 4.5]))]
    [1.0, 1845.28125]
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = x.size
    if n < QUINTIC + 1:
        raise ValueError(f"a quintic spline needs at least {QUINTIC + 1} points, got {n}")
    knots = np.concatenate(([x[0]] * (QUINTIC + 1), x[3:-3], [x[-1]] * (QUINTIC + 1)))
    j, values = _basis_k(knots, x, QUINTIC, n)
    table = np.stack(values, axis=1)
    first = (j - QUINTIC).tolist()
    # At an interior data point (a knot) the last basis function is exactly 0.
    rows = [r[:-1] if r[-1] == 0.0 else r for r in table.tolist()]
    coef = np.array(_solve_band(first, rows, y.tolist()))
    u = np.asarray(u, dtype=float)
    j, values = _basis_k(knots, u, QUINTIC, n)
    out = values[0] * coef[j - QUINTIC]
    for r in range(1, QUINTIC + 1):
        out += values[r] * coef[j - QUINTIC + r]
    return out
