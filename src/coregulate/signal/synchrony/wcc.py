"""Windowed cross-correlation with peak picking (Boker et al. 2002; rMEA).

A window ends at grid index `end` (exclusive). With window length w and maximum lag
L (samples), the client's segment is ``client[end-L-w : end-L]`` and, for lag τ in
-L..L, the therapist's segment is ``therapist[end-L-w-τ : end-L-τ]``. So

    r(τ) = Pearson r( therapist(t - τ), client(t) )  over the window,

and **positive lag = therapist leads** (the client's series follows the
therapist's τ later). Every lag uses w full samples, and everything a window needs
lies in ``[end - w - 2L, end)``: the live path can compute it as soon as the grid
is final up to `end` (its client window is centred L + w/2 before `end`).

Peak picking: the lag with the largest |r| (the first such lag if tied), the
signed r there, its Fisher z = artanh(r), and r at lag 0. A window with a missing
grid sample anywhere in its span, or with a constant segment (r undefined), is not
available and says why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# Why a window is not available (codes in `WindowBatch.reason`).
OK = 0
MISSING = 1
CONSTANT = 2
TOO_EARLY = 3
WINDOW_TOO_SHORT = 4
REASONS = {
    MISSING: "a gap in someone's data within the window (grid samples missing)",
    CONSTANT: "a constant segment in the window (correlation undefined)",
    TOO_EARLY: "not enough data yet for one window plus the lag range",
    WINDOW_TOO_SHORT: "the window is shorter than the lag range (±max lag)",
}
R_CLIP = 1.0 - 1e-12  # keeps artanh finite for |r| = 1 (identical series)
RELATIVE_FLAT = 1e-12  # a segment varying less than this share of its size is constant
# Windows per batch: bounds memory at ~CHUNK * (2L+1) * w floats. 64 (2.5 MB of
# temporaries at the heart-rate defaults) ran an hour's windows 3.6x faster than 128
# here: larger temporaries came back as fresh pages to fault in every batch.
_CHUNK = 64


@dataclass(frozen=True, eq=False)
class WindowBatch:
    """Per-window results: r over lags, peaks, and why a window is not available."""

    end: np.ndarray  # grid index (exclusive) each window ends at
    r: np.ndarray  # (n, 2L+1), lags -L..L; NaN where not available
    peak_r: np.ndarray
    peak_z: np.ndarray
    peak_lag: np.ndarray  # samples, positive = therapist leads
    r_lag0: np.ndarray
    reason: np.ndarray  # OK or a code of REASONS
    z: np.ndarray | None = None  # Fisher z of r, when computed anyway (a live step's one window)


def fisher_z(r: np.ndarray) -> np.ndarray:
    """Return artanh(r), with |r| clipped just below 1 so it stays finite."""
    # np.clip's values (NaN stays NaN), without its Python wrapper: a live step calls
    # this for 15 pairs.
    return np.arctanh(np.minimum(np.maximum(r, -R_CLIP), R_CLIP))


def _flat(centred_ss: np.ndarray, values: np.ndarray, w: int) -> np.ndarray:
    """Return True where a segment is constant for practical purposes.

    Exactly constant, or varying by less than 1e-12 of its magnitude (rounding
    noise, denormals): its r would be noise or a division by zero.
    """
    scale = 1.0 + np.maximum.reduce(np.abs(values), axis=-1)  # `max` without its wrapper
    return centred_ss <= w * (RELATIVE_FLAT * scale) ** 2


def leader_parts(
    x: np.ndarray, ends: np.ndarray, w: int, lag: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the leading series' centred windows per lag, their sums of squares, flatness.

    Rows τ = -L..L of window `e` are ``x[e-L-w-τ : e-L-τ]``; one person's parts serve
    every pair in which they are the second (leading at positive lags).
    """
    # A row depends only on where it starts, and with a 1 s step at 4 Hz each start
    # serves about ten (window, lag) rows: each start's window is centred once and
    # the rows are gathered from those (the same values, reduced over the same
    # contiguous w samples, as centring every gathered row).
    ends = np.asarray(ends, dtype=np.int64)
    if ends.size == 0:
        return np.zeros((0, 2 * lag + 1, w)), np.zeros((0, 2 * lag + 1)), np.zeros(0, dtype=bool)
    lo = int(ends.min()) - w - 2 * lag  # the earliest start any row needs
    hi = int(ends.max()) - w  # the latest
    if lo < 0 or ends.size * (2 * lag + 1) <= hi - lo + 1:
        # Few windows far apart (a live step's one): gathering the rows is cheaper
        # (and indexes as before for a caller that passes a window starting too early).
        starts = (ends - lag - w)[:, None] - np.arange(-lag, lag + 1)
        xs = x[starts[:, :, None] + np.arange(w)]  # (n, 2L+1, w)
        xc = xs - xs.mean(axis=-1, keepdims=True)
        sxx = (xc * xc).sum(axis=-1)
        return xc, sxx, _flat(sxx, xs, w).any(axis=-1)
    xs = sliding_window_view(x[lo : hi + w], w)  # (starts, w): start lo + j in row j
    xc_start = xs - xs.mean(axis=-1, keepdims=True)
    sxx_start = (xc_start * xc_start).sum(axis=-1)
    flat_start = _flat(sxx_start, xs, w)
    # Row τ of window e starts at e - L - w - τ: rows e-w-2L .. e-w, latest first.
    first = ends - w - 2 * lag - lo
    rows = first[:, None] + np.arange(2 * lag, -1, -1)  # (n, 2L+1), τ = -L..L
    by_first = sliding_window_view(xc_start, (2 * lag + 1, w))[:, 0]  # (starts - 2L, 2L+1, w)
    xc = by_first[first][:, ::-1]  # one gathered copy; rows reversed to τ = -L..L
    return xc, sxx_start[rows], flat_start[rows].any(axis=-1)


def follower_parts(
    y: np.ndarray, ends: np.ndarray, w: int, lag: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the follower's centred windows ``y[e-L-w : e-L]``, sums of squares, flatness."""
    ys = y[(ends - lag - w)[:, None] + np.arange(w)]  # (n, w)
    yc = ys - ys.mean(axis=-1, keepdims=True)
    syy = (yc * yc).sum(axis=-1)
    return yc, syy, _flat(syy, ys, w)


def combine_parts(
    leader: tuple[np.ndarray, np.ndarray, np.ndarray],
    follower: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Return r (n, 2L+1) of a leader's and a follower's parts, and which windows are flat."""
    xc, sxx, flat_x = leader
    yc, syy, flat_y = follower
    sxy = np.add.reduce(xc * yc[:, None, :], axis=-1)  # `sum` without its wrapper
    flat = flat_x | flat_y
    with np.errstate(invalid="ignore", divide="ignore"):
        r = sxy / np.sqrt(sxx * syy[:, None])
    r[flat] = np.nan
    return r, flat


def _windows(
    x: np.ndarray, y: np.ndarray, ends: np.ndarray, w: int, lag: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return r (n, 2L+1) for windows ending at `ends`, and which windows are flat."""
    return combine_parts(leader_parts(x, ends, w, lag), follower_parts(y, ends, w, lag))


def peaks(ends: np.ndarray, r: np.ndarray, reason: np.ndarray, lag: int) -> WindowBatch:
    """Return the batch of windows `ends` with r per lag: each available window's peak."""
    n = ends.size
    if n == 1 and reason[0] == OK:
        # One available window (a live step): the same operations on one row, without
        # the masks a batch needs.
        # The row's z serves the peak and the session's z profile (`track`): the same
        # elementwise artanh of the same values.
        peak_1 = int(np.abs(r[0]).argmax())
        z = fisher_z(r)
        return WindowBatch(
            end=ends,
            r=r,
            peak_r=r[:, peak_1],
            peak_z=z[:, peak_1],
            peak_lag=np.array([peak_1 - lag]),
            r_lag0=r[:, lag].copy(),
            reason=reason,
            z=z,
        )
    good = reason == OK
    peak = np.zeros(n, dtype=np.int64)
    peak[good] = np.argmax(np.abs(r[good]), axis=1)
    rows = np.arange(n)
    peak_r = np.where(good, r[rows, peak], np.nan)
    return WindowBatch(
        end=ends,
        r=r,
        peak_r=peak_r,
        peak_z=fisher_z(peak_r),
        peak_lag=np.where(good, peak - lag, 0),
        r_lag0=r[:, lag].copy(),
        reason=reason,
    )


def wcc_windows(
    therapist: np.ndarray, client: np.ndarray, ends: np.ndarray, w: int, lag: int
) -> WindowBatch:
    """Return the windowed cross-correlation of windows ending at grid indices `ends`.

    Parameters
    ----------
    therapist, client : array
        The two people's series on the same grid (NaN = missing).
    ends : array of int
        Exclusive end index of each window; the live path passes one, offline all.
    w, lag : int
        Window length and maximum lag in samples.

    Returns
    -------
    WindowBatch
        r per lag and the picked peak of each window, with a reason code where a
        window is not available.
    """
    ends = np.asarray(ends, dtype=np.int64)
    n = ends.size
    n_lags = 2 * lag + 1
    r = np.full((n, n_lags), np.nan)
    reason = np.full(n, OK, dtype=np.int8)
    if w < 2 * lag or w < 3:
        reason[:] = WINDOW_TOO_SHORT
    else:
        reason[ends - w - 2 * lag < 0] = TOO_EARLY
        reason[ends > min(therapist.size, client.size)] = TOO_EARLY
        ok = np.flatnonzero(reason == OK)
        if ok.size:
            span = w + 2 * lag
            finite_x = np.concatenate(([0], np.cumsum(~np.isfinite(therapist))))
            finite_y = np.concatenate(([0], np.cumsum(~np.isfinite(client))))
            e = ends[ok]
            missing = (finite_x[e] - finite_x[e - span] > 0) | (
                finite_y[e - lag] - finite_y[e - lag - w] > 0
            )
            reason[ok[missing]] = MISSING
            ok = ok[~missing]
        for start in range(0, ok.size, _CHUNK):
            idx = ok[start : start + _CHUNK]
            r[idx], flat = _windows(therapist, client, ends[idx], w, lag)
            reason[idx[flat]] = CONSTANT
    return peaks(ends, r, reason, lag)
