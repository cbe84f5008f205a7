"""The classifier's end-of-run median equals NumPy's bit for bit (signal/artifacts.py)."""

from __future__ import annotations

import math

import numpy as np

from coregulate.signal.artifacts import _median
from signal_support import pyhrv_nn


def test_median_equals_numpy_bit_for_bit_on_real_and_random_windows() -> None:
    # The windows the run's end uses: 6..11 raw RRs (odd and even counts), from
    # pyhrv's real 1-hour series and from random values whose middle two sums round.
    nn = pyhrv_nn("Long")
    assert nn is not None, "tests/data/pyhrv ships with the repository"
    rng = np.random.default_rng(19)
    windows = [nn[i : i + size].tolist() for i in range(0, 4000, 37) for size in range(1, 12)]
    windows += [rng.uniform(300.0, 2000.0, n).tolist() for n in range(1, 12) for _ in range(200)]
    for values in windows:
        assert _median(values).hex() == float(np.median(values)).hex(), values


def test_median_is_nan_when_a_value_is_nan_as_numpy() -> None:
    values = [800.0, math.nan, 790.0, 810.0]
    assert math.isnan(_median(values))
    assert math.isnan(float(np.median(values)))
