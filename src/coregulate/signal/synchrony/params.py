"""Parameters of dyadic synchrony, with their defaults and where those come from.

Every field is written into each published `sync` message (`params`), so a result
can be recomputed from the session file alone. Durations are in seconds on the
session clock; the kernels work in grid samples (`samples()`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

NS_PER_S = 1_000_000_000


@dataclass(frozen=True)
class SyncParams:
    """How one dyadic series is put on a grid and compared.

    Attributes
    ----------
    grid_hz : float
        Common grid rate (4 Hz for heart rate, as for HRV interpolation in NeuroKit2).
        1e9 / grid_hz must be a whole number of ns.
    max_hold_s : float
        The grid is interpolated between two of a person's values at most this far
        apart; across a longer span it is missing (NaN): gaps stay gaps.
    settle_s, reorder_s : float
        Live only: a grid point is final once that person has a value `reorder_s`
        later (beat placement may put a notification's beats slightly before the
        previous one's), or once the session has moved `settle_s` past it (a person
        who disconnected).
    window_s, step_s, max_lag_s : float
        Windowed cross-correlation (Boker et al. 2002; rMEA defaults are similar):
        30 s windows every 1 s, lags ±5 s. Positive lag = therapist leads.
    simultaneous_s : float
        A window whose peak lag is within ± this is counted as simultaneous.
    segment_s : float
        SUSY segment length (Tschacher & Meier 2020 use 30 s); the segment-wise
        cross-correlation uses the same ±`max_lag_s` as the windowed one (the SUSY
        R package's default is 3 s).
    n_surrogates : int
        Random pseudo-pairings (derangements of the segments) behind the p-value
        of "above chance" (the SUSY R package's `surrogates.total` default is 500).
    alpha : float
        Level of the one-sided "above chance" test.
    min_segments : int
        Fewest complete valid segments before the surrogate statistics are given.
    slope_window_s, slope_step_s, concordance_segment_s : float
        Concordance index (Marci & Orr 2006; Marci et al. 2007): least-squares
        slopes over 5 s windows moved by 1 s, correlated over 15 s segments.
    phase_band_hz : tuple of float
        Band-pass (Butterworth, zero-phase) before the Hilbert phase (offline only).
    seed : int
        Seed of the surrogate draws, so "above chance" is reproducible.
    """

    grid_hz: float = 4.0
    max_hold_s: float = 3.0
    settle_s: float = 10.0
    reorder_s: float = 1.0
    window_s: float = 30.0
    step_s: float = 1.0
    max_lag_s: float = 5.0
    simultaneous_s: float = 0.5
    segment_s: float = 30.0
    n_surrogates: int = 500
    alpha: float = 0.05
    min_segments: int = 4
    slope_window_s: float = 5.0
    slope_step_s: float = 1.0
    concordance_segment_s: float = 15.0
    phase_band_hz: tuple[float, float] = (0.02, 0.15)
    seed: int = 0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.grid_hz) and 0.01 <= self.grid_hz <= 100.0):
            raise ValueError(f"grid_hz must be within [0.01, 100], got {self.grid_hz!r}")
        period_ns = NS_PER_S / self.grid_hz
        if abs(period_ns - round(period_ns)) > 1e-6:
            raise ValueError(f"1e9 / grid_hz must be a whole number of ns, got {period_ns!r}")
        for name in (
            "max_hold_s",
            "settle_s",
            "reorder_s",
            "window_s",
            "step_s",
            "segment_s",
            "slope_window_s",
            "slope_step_s",
            "concordance_segment_s",
        ):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
            self.samples(name)
        if not (math.isfinite(self.max_lag_s) and self.max_lag_s >= 0):
            raise ValueError(f"max_lag_s must be ≥ 0, got {self.max_lag_s!r}")
        self.samples("max_lag_s")
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be within (0, 1), got {self.alpha!r}")
        if self.n_surrogates < 1 or self.min_segments < 2:
            raise ValueError("n_surrogates must be ≥ 1 and min_segments ≥ 2")
        low, high = self.phase_band_hz
        if not 0 < low < high < self.grid_hz / 2:
            raise ValueError(
                f"phase_band_hz must satisfy 0 < low < high < grid_hz/2, got {self.phase_band_hz}"
            )

    @property
    def period_ns(self) -> int:
        """Return the grid spacing in ns."""
        return round(NS_PER_S / self.grid_hz)

    def samples(self, name: str) -> int:
        """Return the duration field `name` in grid samples (it must be a whole number)."""
        value = getattr(self, name) * self.grid_hz
        if abs(value - round(value)) > 1e-9:
            raise ValueError(
                f"{name} = {getattr(self, name)} s is not a whole number of grid samples "
                f"at {self.grid_hz} Hz; choose a multiple of {1 / self.grid_hz:g} s"
            )
        return round(value)

    def to_dict(self) -> dict[str, Any]:
        """Return every parameter as JSON-ready data."""
        out = asdict(self)
        out["phase_band_hz"] = list(self.phase_band_hz)
        return out


# Heart rate: the defaults above. The slow per-person indices (lnRMSSD over a 60 s
# trailing window, arousal) change over minutes, so everything is ten times slower.
HR_PARAMS = SyncParams()
SLOW_PARAMS = SyncParams(
    grid_hz=1.0,
    max_hold_s=5.0,
    settle_s=20.0,
    reorder_s=2.0,
    window_s=180.0,
    step_s=10.0,
    max_lag_s=30.0,
    simultaneous_s=5.0,
    segment_s=180.0,
    slope_window_s=30.0,
    slope_step_s=10.0,
    concordance_segment_s=150.0,
    phase_band_hz=(0.005, 0.02),
)
