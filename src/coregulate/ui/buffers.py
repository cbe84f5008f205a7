"""Time-sorted columns of floats for the plots: O(1) append, views without copies.

Why not a fixed ring: a session is short (90 minutes of one update a second is
5 400 rows, 43 kB a column) and the full view offers "all", so nothing may fall
off the end. The buffer is preallocated and doubles when full (amortised O(1)),
and a window of it is a contiguous slice found by binary search, so a redraw
never copies or sorts. Rows that arrive late (filled in from the session file
after a missed bus message) are inserted in time order; that is rare and O(n).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

NAN = float("nan")


class SeriesBuffer:
    """Rows of (time in s, named float columns), kept sorted by time.

    Parameters
    ----------
    columns
        Names of the value columns; a missing value is NaN (drawn as a gap).
    capacity
        Rows preallocated; the buffer doubles when it is full.
    """

    def __init__(self, columns: Iterable[str], capacity: int = 4096) -> None:
        self.columns = tuple(columns)
        self._index = {name: i for i, name in enumerate(self.columns)}
        self._t_s = np.empty(capacity)
        self._v = np.empty((len(self.columns), capacity))
        self._n = 0
        self.version = 0  # changes whenever the content does: redraws can skip otherwise

    def __len__(self) -> int:
        return self._n

    def append(self, t_s: float, values: Mapping[str, float | None]) -> None:
        """Add one row; columns not in `values` (or None) are NaN."""
        if self._n == self._t_s.size:
            self._grow()
        row = np.full(len(self.columns), NAN)
        for name, value in values.items():
            i = self._index.get(name)
            if i is not None and value is not None:
                row[i] = value
        n = self._n
        if n and t_s < self._t_s[n - 1]:
            k = int(np.searchsorted(self._t_s[:n], t_s, side="right"))
            self._t_s[k + 1 : n + 1] = self._t_s[k:n]
            self._v[:, k + 1 : n + 1] = self._v[:, k:n]
        else:
            k = n
        self._t_s[k] = t_s
        self._v[:, k] = row
        self._n = n + 1
        self.version += 1

    def _grow(self) -> None:
        cap = self._t_s.size * 2
        t_s = np.empty(cap)
        v = np.empty((len(self.columns), cap))
        t_s[: self._n] = self._t_s[: self._n]
        v[:, : self._n] = self._v[:, : self._n]
        self._t_s, self._v = t_s, v

    @property
    def t_s(self) -> np.ndarray:
        """Return the times (s, session clock) of every row, a view."""
        return self._t_s[: self._n]

    def column(self, name: str) -> np.ndarray:
        """Return one column of every row, a view."""
        return self._v[self._index[name], : self._n]

    def since(self, t0_s: float) -> slice:
        """Return the slice of rows at or after `t0_s`, keeping one row before it.

        The row before lets a line enter the visible window from its left edge.
        """
        start = int(np.searchsorted(self._t_s[: self._n], t0_s, side="left"))
        return slice(max(start - 1, 0), self._n)

    def last(self, name: str) -> float:
        """Return the newest value of a column (NaN if there is none)."""
        return float(self._v[self._index[name], self._n - 1]) if self._n else NAN
