"""The chance band of the windowed cross-correlation: how large |r| gets between strangers.

A window's peak |r| is large by chance alone when both series are slow: between
unrelated real people the 30 s peak |r| has a median of about 0.4. So each window
is shown against the peak |r| of windows that pair **different times** of the
session: the client's stretch from one block with the therapist's from another
(segment shuffling, as SUSY's pseudo-synchrony, Tschacher & Meier 2020, and
rMEA's shuffled surrogates, Kleinbub & Ramseyer 2021, applied to the window
statistic itself).

The grid is cut into non-overlapping blocks of w + 2L samples, the span one
window needs. In block b the client's window is ``client[b0+L : b0+L+w]`` and the
therapist's at lag τ is ``therapist[b0+L-τ : b0+L-τ+w]`` (b0 = b(w + 2L)): the
geometry of `wcc.wcc_windows`, so a pseudo window is computed exactly like a real
one. For every ordered pair of valid blocks (therapist block i, client block h,
i ≠ h) the largest |r| over lags -L..L is kept; the band `chance_abs_r95` is the
95th percentile (NumPy's linear interpolation) of those values, over the most
recent `chance_max_blocks` blocks (bounded memory; one hour at the heart-rate
defaults). It is recomputed when a block completes, from the numbers the live and
offline paths share, so replay equals live bit for bit.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from coregulate.signal.synchrony.wcc import RELATIVE_FLAT

QUANTILE = 95.0  # percent: the band is the 95th percentile of pseudo-window peaks


def _standardize(rows: np.ndarray) -> np.ndarray | None:
    """Return each row centred and scaled to unit norm, or None if any row is flat."""
    centred = rows - rows.mean(axis=-1, keepdims=True)
    norm = np.sqrt((centred * centred).sum(axis=-1, keepdims=True))
    scale = 1.0 + np.abs(rows).max(axis=-1, keepdims=True)
    if (norm <= math.sqrt(rows.shape[-1]) * RELATIVE_FLAT * scale).any():
        return None
    return centred / norm


class ChanceBand:
    """Peak |r| of windows pairing different blocks of the session, and its 95th percentile.

    Parameters
    ----------
    w, lag : int
        Window length and maximum lag in grid samples (as `wcc_windows`).
    min_blocks : int
        Fewest valid blocks before a band is given (k blocks give k(k-1) pairs).
    max_blocks : int
        Only the most recent this many blocks are kept (memory stays bounded).
    """

    def __init__(self, w: int, lag: int, min_blocks: int, max_blocks: int) -> None:
        self.w = w
        self.lag = lag
        self.block = w + 2 * lag
        self.min_blocks = max(2, min_blocks)
        self.max_blocks = max(self.min_blocks, max_blocks)
        self.n_blocks = 0  # blocks added so far (valid or not)
        m = self.max_blocks
        self._x = np.zeros((m, 2 * lag + 1, w))  # therapist, standardized, per lag
        self._y = np.zeros((m, w))  # client, standardized
        self._ok = np.zeros(m, dtype=bool)
        self._peak = np.full((m, m), np.nan)  # [therapist slot, client slot]
        self._band: tuple[float | None, str] = (None, "no block of the session complete yet")

    def add(self, therapist_span: np.ndarray, client_span: np.ndarray) -> None:
        """Add one block (w + 2L grid samples of each person) and refresh the band."""
        slot = self.n_blocks % self.max_blocks
        self.n_blocks += 1
        w, lag = self.w, self.lag
        x = y = None
        if np.isfinite(therapist_span).all() and np.isfinite(client_span).all():
            # Rows τ = -L..L: therapist[L-τ : L-τ+w], i.e. the sliding windows reversed.
            x = _standardize(sliding_window_view(therapist_span, w)[::-1])
            y = _standardize(client_span[None, lag : lag + w])
        self._peak[slot, :] = np.nan
        self._peak[:, slot] = np.nan
        self._ok[slot] = x is not None and y is not None
        if x is not None and y is not None:
            self._x[slot], self._y[slot] = x, y[0]
            others = np.flatnonzero(self._ok)
            others = others[others != slot]
            if others.size:
                self._peak[slot, others] = np.abs(self._y[others] @ x.T).max(axis=1)
                self._peak[others, slot] = np.abs(self._x[others] @ y[0]).max(axis=1)
        self._refresh()

    def _refresh(self) -> None:
        k = int(np.count_nonzero(self._ok))
        if k < self.min_blocks:
            self._band = (
                None,
                f"{k} complete block(s) of {self.block} grid samples without gaps so far "
                f"(the chance band needs {self.min_blocks})",
            )
            return
        values = self._peak[np.isfinite(self._peak)]
        self._band = (float(np.percentile(values, QUANTILE, method="weibull")), "")

    def band(self) -> tuple[float | None, str]:
        """Return (chance_abs_r95, "") or (None, why not yet)."""
        return self._band
