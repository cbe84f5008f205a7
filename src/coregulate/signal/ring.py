"""A preallocated append-only ring whose newest items are always one contiguous view."""

from __future__ import annotations

import numpy as np


class Ring:
    """Columns of equal length; the newest `capacity` rows stay readable as array views.

    Storage is twice the capacity: appends fill it left to right and, when it is full,
    the newest `capacity` rows are copied to the front once (amortised O(1) per row),
    so a window is always a slice, never a concatenation.

    Parameters
    ----------
    capacity
        Rows guaranteed to be kept.
    dtypes
        Column name to NumPy dtype.
    """

    def __init__(self, capacity: int, dtypes: dict[str, np.dtype | type]) -> None:
        self.capacity = int(capacity)
        self._cols = {k: np.zeros(2 * self.capacity, dtype=v) for k, v in dtypes.items()}
        self._start = 0
        self._end = 0

    def __len__(self) -> int:
        return self._end - self._start

    def append(self, **values: float) -> None:
        """Add one row (every column given by name)."""
        if self._end == 2 * self.capacity:
            keep = min(len(self), self.capacity - 1)
            for col in self._cols.values():
                col[:keep] = col[self._end - keep : self._end]
            self._start, self._end = 0, keep
        for name, col in self._cols.items():
            col[self._end] = values[name]
        self._end += 1
        if self._end - self._start > self.capacity:
            self._start += 1

    def view(self, name: str) -> np.ndarray:
        """Return the kept rows of column `name`, oldest first (a view: do not keep it)."""
        return self._cols[name][self._start : self._end]

    def overwrite(self, back: int, **values: float) -> None:
        """Replace the given columns of the row `back` places from the newest (1: newest)."""
        if not 1 <= back <= len(self):
            raise IndexError(f"row {back} from the newest is not kept ({len(self)} rows)")
        for name, value in values.items():
            self._cols[name][self._end - back] = value

    def row(self, name: str, back: int) -> float:
        """Return column `name` of the row `back` places from the newest (1: newest)."""
        return self._cols[name][self._end - back]
