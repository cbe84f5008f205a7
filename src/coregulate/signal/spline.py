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
    # Lists, not np.repeat: the same float64 values at a third of the cost per window.
    return np.concatenate(([x[0]] * 3, mid[1:-1], [x[-1]] * 3))


def _span(knots: np.ndarray, u: np.ndarray, k: int, n_coef: int) -> np.ndarray:
    """Return the knot span of each u, clipped to the spline's [k, n_coef - 1] (np.clip's)."""
    # np.maximum/np.minimum: the same integers as np.clip, without its wrapper's cost.
    return np.minimum(np.maximum(knots.searchsorted(u, side="right") - 1, k), n_coef - 1)


def _basis(knots: np.ndarray, u: np.ndarray, n_coef: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (span index j, the 3 nonzero basis values B[j-2..j] at each u), Cox–de Boor."""
    j = _span(knots, u, DEGREE, n_coef)
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
    cp, dp = c[0] / b[0], d[0] / b[0]
    cps, dps = [cp], [dp]
    for a_i, b_i, c_i, d_i in zip(a[1:], b[1:], c[1:], d[1:], strict=True):
        m = b_i - a_i * cp
        cp = c_i / m
        dp = (d_i - a_i * dp) / m
        cps.append(cp)
        dps.append(dp)
    x = [dp]
    for cp_i, dp_i in zip(cps[-2::-1], dps[-2::-1], strict=True):
        x.append(dp_i - cp_i * x[-1])
    x.reverse()
    return np.array(x)


def quadratic_spline_coefficients(
    x: np.ndarray,
    y: np.ndarray,
    values: np.ndarray | None = None,
    knots: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return (knots, B-spline coefficients) of the quadratic spline through (x, y).

    `x` strictly increasing, at least 3 points. `values` and `knots`: the basis at
    `x` (:func:`_basis`, n x 3) and :func:`quadratic_knots` if the caller has them.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = x.size
    if n < 3:
        raise ValueError(f"a quadratic spline needs at least 3 points, got {n}")
    if knots is None:
        knots = quadratic_knots(x)
    if values is None:
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
    x = np.asarray(x, dtype=float)
    if x.size < 3:
        raise ValueError(f"a quadratic spline needs at least 3 points, got {x.size}")
    # The basis at the data points and at `u` in one pass (elementwise: the same bits).
    knots = quadratic_knots(x)
    j, values = _basis(knots, np.concatenate((x, np.asarray(u, dtype=float))), x.size)
    _, coef = quadratic_spline_coefficients(x, y, values[: x.size], knots)
    j, values = j[x.size :], values[x.size :]
    return values[:, 0] * coef[j - 2] + values[:, 1] * coef[j - 1] + values[:, 2] * coef[j]


QUINTIC = 5


def _basis_k(
    knots: np.ndarray, u: np.ndarray, k: int, n_coef: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return (span j, the k + 1 basis values B[j-k..j] at each u, one row each): de Boor–Cox.

    The denominators are knot differences that include the span [t_j, t_j+1), which
    is never empty for the clipped j, so none is 0. Each degree's k + 1 products are
    one operation over a 2-D array; every element sees the same IEEE operations in
    the same order as the textbook loop over r (de Boor, *A Practical Guide to
    Splines*, X, BSPLVB), so the values are the same bit for bit.
    """
    j = _span(knots, u, k, n_coef)
    e = np.arange(1, k + 1)[:, None]
    left = u - knots[j + 1 - e]  # row e - 1: u - t[j + 1 - e]
    right = knots[j + e] - u  # row e - 1: t[j + e] - u
    values = np.ones((1, u.size))
    for d in range(1, k + 1):
        r_up, l_down = right[:d], left[d - 1 :: -1]  # right[r + 1], left[d - r], r < d
        temp = values / (r_up + l_down)
        new = np.empty((d + 1, u.size))
        new[0] = 0.0 + r_up[0] * temp[0]
        new[1:d] = l_down[:-1] * temp[:-1] + r_up[1:] * temp[1:]
        new[d] = l_down[d - 1] * temp[d - 1]
        values = new
    return j, values


def _pentadiagonal_run(first: np.ndarray, last: np.ndarray) -> tuple[int, int]:
    """Return [k0, k1): the first run of elimination steps on pentadiagonal rows.

    Row i is pentadiagonal when it holds columns i - 2 .. i + 2 (a quintic's interior
    data points). Step k is in the run when rows k, k + 1 and k + 2 are and no row
    after them reaches back to column k: then it touches exactly rows k + 1 and
    k + 2, columns k + 1 and k + 2, and :func:`_eliminate_pentadiagonal` does it with
    plain variables.
    """
    n = first.size
    i = np.arange(n)
    good = (first == i - 2) & (last == i + 2)
    step = np.zeros(n, dtype=bool)
    step[: n - 2] = good[: n - 2] & good[1 : n - 1] & good[2:]
    step[: n - 3] &= first[3:] > i[: n - 3]
    where = np.flatnonzero(step)
    if where.size == 0:
        return n, n
    k0 = int(where[0])
    stops = np.flatnonzero(~step[k0:])
    return k0, k0 + (int(stops[0]) if stops.size else n - k0)


def _eliminate_pentadiagonal(
    rows: list[list[float]], rhs: list[float], k0: int, k1: int
) -> list[tuple[float, float, float]]:
    """Run elimination steps k0 .. k1 - 1 on pentadiagonal rows; return their (p, q, r).

    The same operations, in the same order, as the general loop of :func:`_solve_band`
    (a zero factor skips its row there and here), so the result is the same bit for
    bit; rows k1 and k1 + 1 are written back for the general steps that follow.
    """
    upper: list[tuple[float, float, float]] = []
    done: list[float] = []  # the eliminated right-hand sides k0 .. k1 - 1
    _, _, p, q, r = rows[k0]
    _, s1, t1, u1, v1 = rows[k0 + 1]
    yk, y1 = rhs[k0], rhs[k0 + 1]
    # Step k brings in row k + 2, which starts at column k.
    for (a2, b2, c2, d2, e2), y2 in zip(rows[k0 + 2 : k1 + 2], rhs[k0 + 2 : k1 + 2], strict=True):
        f = s1 / p
        if f != 0.0:
            t1 -= f * q
            u1 -= f * r
            y1 -= f * yk
        f = a2 / p
        if f != 0.0:
            b2 -= f * q
            c2 -= f * r
            y2 -= f * yk
        upper.append((p, q, r))
        done.append(yk)
        p, q, r, yk = t1, u1, v1, y1
        s1, t1, u1, v1, y1 = b2, c2, d2, e2, y2
    rhs[k0:k1] = done
    rows[k1][2:5] = [p, q, r]
    rhs[k1] = yk
    rows[k1 + 1][1:5] = [s1, t1, u1, v1]
    rhs[k1 + 1] = y1
    return upper


def _solve_band(
    first: list[int], rows: list[list[float]], rhs: list[float], fast: bool = True
) -> list[float]:
    """Return x of the banded system whose row i holds `rows[i]` from column `first[i]`.

    `first` must not decrease. Gaussian elimination without pivoting, which is
    stable for B-spline collocation matrices (totally positive: de Boor, *A
    Practical Guide to Splines*, XIII); fill-in stays inside each row's extent once
    every row reaches at least as far right as the rows above it. With `fast`, the
    pentadiagonal stretch (a quintic's interior) runs in :func:`_eliminate_pentadiagonal`,
    a third of the time, with the same result bit for bit (tests/test_signal_spline.py).
    """
    n = len(rows)
    own = np.array(first) + np.fromiter(map(len, rows), np.int64, n) - 1
    reach = np.maximum.accumulate(own)  # a row is padded to reach as far as those above
    for i in np.flatnonzero(reach > own).tolist():
        rows[i] = rows[i] + [0.0] * int(reach[i] - own[i])
    k0, k1 = _pentadiagonal_run(np.asarray(first), reach) if fast else (n, n)
    last = reach.tolist()
    for k in range(k0):
        _eliminate_step(first, last, rows, rhs, k)
    upper = _eliminate_pentadiagonal(rows, rhs, k0, k1) if k1 > k0 else []
    for k in range(k1, n):
        _eliminate_step(first, last, rows, rhs, k)
    x = [0.0] * n
    for k in range(n - 1, k1 - 1, -1):
        x[k] = _back_step(first[k], rows[k], rhs[k], x, k)
    if k1 > k0:
        x1, x2 = x[k1], x[k1 + 1]
        found = []
        for (p, q, r), y in zip(
            reversed(upper), rhs[k1 - 1 : k0 - 1 if k0 else None : -1], strict=True
        ):
            x1, x2 = (y - q * x1 - r * x2) / p, x1  # as _back_step: rhs - q x[k+1] - r x[k+2]
            found.append(x1)
        x[k0:k1] = found[::-1]
    for k in range(min(k0, n) - 1, -1, -1):
        x[k] = _back_step(first[k], rows[k], rhs[k], x, k)
    return x


def _eliminate_step(
    first: list[int], last: list[int], rows: list[list[float]], rhs: list[float], k: int
) -> None:
    """Eliminate column k from the rows below row k that reach it (Gaussian elimination)."""
    row_k, f_k = rows[k], first[k]
    pivot = row_k[k - f_k]
    tail = row_k[k - f_k + 1 : last[k] - f_k + 1]  # columns k + 1 .. last[k]
    i = k + 1
    while i < len(rows) and first[i] <= k:
        row_i, f_i = rows[i], first[i]
        factor = row_i[k - f_i] / pivot
        if factor != 0.0:
            c = k - f_i
            for v in tail:
                c += 1
                row_i[c] -= factor * v
            rhs[i] -= factor * rhs[k]
        i += 1


def _back_step(f_k: int, row_k: list[float], rhs_k: float, x: list[float], k: int) -> float:
    """Return x[k] from row k of the eliminated system and the x already found to its right."""
    s = rhs_k
    c = k
    for v in row_k[k - f_k + 1 :]:
        c += 1
        s -= v * x[c]
    return s / row_k[k - f_k]


def quintic_collocation(
    x: np.ndarray, u: np.ndarray | None = None
) -> tuple[np.ndarray, list[int], list[list[float]], tuple[np.ndarray, np.ndarray]]:
    """Return (knots, first column of each row, rows, basis at `u`) of the quintic's system.

    Row i holds the basis values at ``x[i]`` from column ``first[i]`` on; at an
    interior data point (a knot) the last basis function is exactly 0 and is left
    out, so interior rows are pentadiagonal. The basis at `u` (span, 6 x len(u)
    values) comes from the same pass over the points (elementwise: the same bits).
    """
    n = x.size
    knots = np.concatenate(([x[0]] * (QUINTIC + 1), x[3:-3], [x[-1]] * (QUINTIC + 1)))
    both = x if u is None else np.concatenate((x, u))
    j, values = _basis_k(knots, both, QUINTIC, n)
    rows = values[:QUINTIC, :n].T.tolist()
    for i in np.flatnonzero(values[QUINTIC, :n] != 0.0).tolist():  # the end rows: all six
        rows[i] = values[:, i].tolist()
    return knots, (j[:n] - QUINTIC).tolist(), rows, (j[n:], values[:, n:])


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
    _, first, rows, (j, values) = quintic_collocation(x, np.asarray(u, dtype=float))
    coef = np.array(_solve_band(first, rows, y.tolist()))
    out = values[0] * coef[j - QUINTIC]
    for r in range(1, QUINTIC + 1):
        out += values[r] * coef[j - QUINTIC + r]
    return out
