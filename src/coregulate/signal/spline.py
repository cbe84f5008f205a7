"""Quadratic interpolating spline in NumPy: SciPy's ``make_interp_spline(x, y, k=2)``.

NeuroKit2 resamples NN intervals with ``interp1d(kind="quadratic")``, which is
SciPy's quadratic B-spline with "not-a-knot"-style knots: Greville sites (the
midpoints of the data) with the second and second-to-last dropped, and the end
points repeated three times (de Boor, *A Practical Guide to Splines*, XIII; SciPy
``interpolate/_bsplines.py::_not_a_knot``). Every data point then lies in the span of
the basis functions i-1, i and i+1, so the collocation system is tridiagonal and is
solved by the Thomas algorithm.

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


def natural_cubic_spline(x: np.ndarray, y: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Return the natural cubic interpolating spline through (x, y) evaluated at `u`.

    Second derivatives M_i solve the tridiagonal system
    ``h[i-1] M[i-1] + 2 (h[i-1] + h[i]) M[i] + h[i] M[i+1] = 6 (d[i] - d[i-1])`` with
    ``h[i] = x[i+1] - x[i]``, ``d[i] = (y[i+1] - y[i]) / h[i]`` and ``M[0] = M[-1] = 0``
    (de Boor, *A Practical Guide to Splines*, IV), solved by the Thomas algorithm;
    each piece is then the cubic with those end values and second derivatives.
    Equal to ``scipy.interpolate.CubicSpline(x, y, bc_type="natural")`` on
    ``[x[0], x[-1]]`` (tests/test_signal_spline.py); `u` outside is clamped to the
    end pieces' range of definition, i.e. extrapolated from them, as SciPy does.
    `x` strictly increasing, at least 3 points.

    Examples
    --------
    >>> x = np.array([0.0, 1.0, 2.0, 3.0])
    >>> np.round(natural_cubic_spline(x, 2 * x + 1, np.array([0.5, 2.25])), 12)
    array([2. , 5.5])
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = x.size
    if n < 3:
        raise ValueError(f"a cubic spline needs at least 3 points, got {n}")
    h = np.diff(x)
    d = np.diff(y) / h
    m = np.zeros(n)
    m[1:-1] = _solve_tridiagonal(
        np.concatenate(([0.0], h[1:-1])),
        2.0 * (h[:-1] + h[1:]),
        np.concatenate((h[1:-1], [0.0])),
        6.0 * np.diff(d),
    )
    u = np.asarray(u, dtype=float)
    i = np.clip(np.searchsorted(x, u, side="right") - 1, 0, n - 2)
    hi, a, b = h[i], x[i + 1] - u, u - x[i]
    return (
        (m[i] * a**3 + m[i + 1] * b**3) / (6.0 * hi)
        + (y[i] / hi - m[i] * hi / 6.0) * a
        + (y[i + 1] / hi - m[i + 1] * hi / 6.0) * b
    )
