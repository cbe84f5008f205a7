"""Surrogate synchrony (SUSY; Tschacher & Meier 2020): is synchrony above chance?

The session is cut into non-overlapping segments of s samples (any remainder at
the end is left out). For a therapist segment i and a client segment h, the
cross-correlation over lags τ = -L..L is computed inside the segment pair on the
overlapping s - |τ| samples (positive τ = therapist leads, as in `wcc`), each r
is Fisher-z transformed, and the segment pair's

    Z(i, h) = mean over τ of artanh r(τ)          ("Z", signed)
    |Z|(i, h) = mean over τ of |artanh r(τ)|      ("absolute Z")

Real synchrony pairs segment i with itself (the diagonal); pseudo-synchrony pairs
segment i of one person with segment h ≠ i of the other (segment shuffling). With
all such pairs as the surrogates, as SUSY does,

    ES = (mean Z_real − mean Z_pseudo) / SD(Z_pseudo)      (SD with n − 1)

"Above chance" (this project's addition, for the live display): the mean real |Z|
against the client's segments shifted circularly by d = 1..k-1 segments
(`rotation_p`), p = (1 + #{shift ≥ real}) / k, one-sided; a verdict only once p
can be below alpha (21 valid segments at 0.05). Random re-pairings (derangements)
were used before and called unrelated real people "above chance" too often
(docs/synchrony.md, section 3). Segments with missing or constant data are left
out of both. Note: SUSY computes R's ``ccf`` (segment-wide mean, divisor n);
here each lag is a Pearson r on its overlap, as in the windowed cross-correlation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coregulate.signal.synchrony.wcc import RELATIVE_FLAT, fisher_z


def lagged_parts(segment: np.ndarray, lag: int, leading: bool) -> np.ndarray:
    """Return one segment's standardized sub-vectors, one row per lag -L..L.

    `leading` True for the therapist's segment (which is shifted earlier at
    positive lags). Each sub-vector is centred, scaled to unit norm and padded with
    zeros to the segment's length, so the Pearson r of two rows is their dot
    product; a constant sub-vector comes back NaN.
    """
    return lagged_parts_many(segment[None], lag, leading)[0]


def lagged_parts_many(segments: np.ndarray, lag: int, leading: bool) -> np.ndarray:
    """Return `lagged_parts` of each row of `segments` (k, s): an array (k, 2L+1, s).

    Each row's numbers are those of `lagged_parts` on that segment alone (the same
    reductions over the same contiguous samples), so the offline path can standardize
    a session's segments in one pass per lag and still equal the live path's one
    segment at a time bit for bit.
    """
    k, s = segments.shape
    parts = np.zeros((k, 2 * lag + 1, s))
    for row, tau in enumerate(range(-lag, lag + 1)):
        if leading:
            sub = segments[:, : s - tau] if tau >= 0 else segments[:, -tau:]
        else:
            sub = segments[:, tau:] if tau >= 0 else segments[:, : s + tau]
        n = sub.shape[1]
        if n < 3:  # a lag as long as the segment: no correlation to speak of
            parts[:, row] = np.nan
            continue
        centred = sub - sub.mean(axis=-1, keepdims=True)
        norm = np.sqrt((centred * centred).sum(axis=-1))
        # Constant (or varying only by rounding noise), as in `wcc`: r undefined.
        flat = norm <= math.sqrt(n) * RELATIVE_FLAT * (1.0 + np.abs(sub).max(axis=-1))
        with np.errstate(invalid="ignore", divide="ignore"):  # flat rows: NaN below
            parts[:, row, :n] = centred / norm[:, None]
        parts[flat, row, :n] = np.nan
    return parts


def pair_z(x_parts: np.ndarray, y_parts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (Z, |Z|) of segment pairs: parts (..., 2L+1, s) broadcast against each other."""
    z = fisher_z((x_parts * y_parts).sum(axis=-1))
    return z.mean(axis=-1), np.abs(z).mean(axis=-1)


@dataclass
class SegmentMatrix:
    """Z and |Z| of every therapist-segment × client-segment pair, grown one at a time.

    The live path adds each segment as it completes; offline adds them all in
    order, so both produce the same numbers bit for bit.
    """

    lag: int
    z: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    z_abs: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    valid: list[bool] = field(default_factory=list)
    # Standardized lagged parts of every segment, (capacity, 2L+1, s): kept so a new
    # segment can be paired with all earlier ones. About 40 kB per segment at the
    # heart-rate defaults (30 s at 4 Hz, ±5 s), so 15 MB per person for 3 hours.
    _x: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0)))
    _y: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0)))
    # Keep at most this many (the latest): memory stays bounded in a long session;
    # the matrix is then exactly that of the segments kept. None: keep all.
    max_segments: int | None = None
    dropped: int = 0  # the oldest segments dropped to stay within max_segments

    @property
    def n(self) -> int:
        """Return the number of segments held (the latest `max_segments` at most)."""
        return len(self.valid)

    @property
    def added(self) -> int:
        """Return the number of segments added in all, dropped ones included."""
        return self.n + self.dropped

    def _drop_oldest(self) -> None:
        """Forget the oldest segment: every later row, column and part moves up by one."""
        k = self.n
        self.valid.pop(0)
        for name in ("z", "z_abs"):
            m = getattr(self, name)
            m[: k - 1, : k - 1] = m[1:k, 1:k]  # numpy copies overlapping slices safely
            m[k - 1, :] = np.nan
            m[:, k - 1] = np.nan
        for name in ("_x", "_y"):
            parts = getattr(self, name)
            parts[: k - 1] = parts[1:k]
        self.dropped += 1

    def add(
        self,
        therapist_seg: np.ndarray,
        client_seg: np.ndarray,
        parts: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        """Add one segment of both people and fill its row and column.

        `parts`: the segment's `lagged_parts` (therapist leading, client), when the
        caller standardized many segments at once (`lagged_parts_many`).
        """
        if parts is None:
            parts = (
                lagged_parts(therapist_seg, self.lag, True),
                lagged_parts(client_seg, self.lag, False),
            )
        x, y = parts
        usable = bool(np.isfinite(x).all() and np.isfinite(y).all())
        if self.max_segments is not None and self.n >= self.max_segments:
            self._drop_oldest()
        i = self.n
        if i >= self._x.shape[0]:  # grow by doubling: adding stays cheap on average
            cap = max(8, 2 * i)
            if self.max_segments is not None:
                cap = min(cap, self.max_segments)
            for name in ("z", "z_abs"):
                grown = np.full((cap, cap), np.nan)
                old = getattr(self, name)
                grown[: old.shape[0], : old.shape[1]] = old
                setattr(self, name, grown)
            for name in ("_x", "_y"):
                grown = np.zeros((cap, *x.shape))
                if i:
                    grown[:i] = getattr(self, name)[:i]
                setattr(self, name, grown)
        self.valid.append(usable)
        self._x[i] = x
        self._y[i] = y
        if not usable:
            return
        n = i + 1
        self.z[i, :n], self.z_abs[i, :n] = pair_z(x[None], self._y[:n])
        self.z[:i, i], self.z_abs[:i, i] = pair_z(self._x[:i], y[None])


def rotation_p(sub: np.ndarray, n_surrogates: int) -> tuple[float, int]:
    """Return (one-sided p, shifts used) of the diagonal's mean against circular shifts.

    `sub` is the k x k matrix of a statistic (|Z|) between therapist segment i and
    client segment h, in time order. Surrogate d pairs therapist segment i with
    client segment (i + d) mod k, d = 1..k-1 (at most `n_surrogates` of them,
    evenly spaced): the client's whole series shifted circularly by d segments.
    Each person's own serial dependence, within and across segments, is kept, so
    under independence the real pairing is one of k equally likely shifts
    (time-shift surrogates; Andrzejak et al. 2003). Re-pairing segments at random
    (derangements) breaks the serial dependence of the client's segments, and on
    unrelated real people it said "above chance" too often (docs/synchrony.md).
    """
    k = sub.shape[0]
    shifts = np.arange(1, k)
    if shifts.size > n_surrogates:
        shifts = np.unique(shifts[np.linspace(0, k - 2, n_surrogates).round().astype(np.int64)])
    shifts = np.concatenate(([0], shifts))
    idx = (np.arange(k)[None, :] + shifts[:, None]) % k
    means = sub[np.arange(k)[None, :], idx].mean(axis=1)  # row 0: the real pairing
    exceed = int(np.count_nonzero(means[1:] >= means[0]))
    return (1 + exceed) / shifts.size, int(shifts.size - 1)


def smallest_p(k: int, n_surrogates: int) -> float:
    """Return the smallest p `rotation_p` can give with k segments."""
    return 1.0 / (1 + min(k - 1, n_surrogates))


def susy_statistics(
    matrix: SegmentMatrix, n_surrogates: int, alpha: float, min_segments: int
) -> tuple[dict[str, Any] | None, str | None]:
    """Return the SUSY statistics of the segments so far, or (None, reason).

    Returns
    -------
    stats : dict or None
        ``n_segments`` (valid), ``n_segments_total``, ``n_pseudo_pairs``, for "z" and
        "z_abs": ``mean_real``, ``mean_pseudo``, ``sd_pseudo``, ``es``; and
        ``n_surrogates`` (circular shifts used), ``p_above_chance``, ``above_chance``
        (`rotation_p` on |Z|; None while so few segments cannot give a p below
        `alpha`, with the reason in ``above_chance_unavailable``).
    reason : str or None
        Why the statistics are not available.
    """
    keep = np.flatnonzero(matrix.valid)
    k = keep.size
    if k < max(min_segments, 2):
        return None, (f"{k} complete segment(s) without gaps so far (needs {max(min_segments, 2)})")
    stats: dict[str, Any] = {
        "n_segments": int(k),
        "n_segments_total": matrix.n,
        "n_pseudo_pairs": int(k * (k - 1)),
    }
    off = ~np.eye(k, dtype=bool)
    for name in ("z", "z_abs"):
        sub = getattr(matrix, name)[np.ix_(keep, keep)]
        real = np.diagonal(sub).copy()
        pseudo = sub[off]
        sd = float(np.std(pseudo, ddof=1)) if pseudo.size > 1 else math.nan
        mean_real = float(np.mean(real))
        mean_pseudo = float(np.mean(pseudo))
        es = (mean_real - mean_pseudo) / sd if sd > 0 else None
        stats[name] = {
            "mean_real": mean_real,
            "mean_pseudo": mean_pseudo,
            "sd_pseudo": sd if math.isfinite(sd) else None,
            "es": es,
        }
    p, used = rotation_p(matrix.z_abs[np.ix_(keep, keep)], n_surrogates)
    verdict: bool | None = p < alpha
    if smallest_p(k, n_surrogates) >= alpha:
        verdict = None
        stats["above_chance_unavailable"] = (
            f"{k} segments allow no p below {smallest_p(k, n_surrogates):.3g} "
            f"(alpha {alpha:g}); it needs {_segments_needed(alpha, n_surrogates)}"
        )
    stats.update({"n_surrogates": used, "p_above_chance": p, "above_chance": verdict})
    return stats, None


def _segments_needed(alpha: float, n_surrogates: int) -> str:
    """Return how many segments make a p below `alpha` possible (or what else is needed)."""
    if 1.0 / (1 + n_surrogates) >= alpha:
        return f"more than {1 / alpha - 1:.0f} surrogates"
    return f"{math.floor(1 / alpha) + 1} valid segments"
