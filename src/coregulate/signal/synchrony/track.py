"""The dyadic engine: two grid series in, one update per step out (live and offline).

`SynchronyTrack` owns both people's series on the common grid and, whenever the
grid is extended, computes every step whose window has become final: the windowed
cross-correlation of that window, the session summary so far, and the surrogate
(SUSY) and concordance statistics of the segments completed so far. The live path
extends it a few samples at a time; the offline path extends it once with the
whole session. Both call the same kernels on the same numbers in the same order,
so replay equals live bit for bit (tested).
"""

from __future__ import annotations

import bisect
import itertools
import math
from typing import Any

import numpy as np

from coregulate.signal.synchrony.chance import ChanceBand
from coregulate.signal.synchrony.concordance import concordance_index, segment_r_lagged
from coregulate.signal.synchrony.params import SyncParams
from coregulate.signal.synchrony.surrogates import (
    SegmentMatrix,
    lagged_parts_many,
    susy_statistics,
)
from coregulate.signal.synchrony.wcc import OK, REASONS, WindowBatch, fisher_z, wcc_windows

# SUSY pairs the segments of at most the last 2 hours (memory only: longer than any
# therapy session, so a session's numbers are unchanged; a 10-hour recording keeps
# the sync stage's memory flat instead of growing ~20 MB an hour). Tests patch it.
SUSY_HORIZON_S = 2 * 3600.0


def _none_if_nan(value: float) -> float | None:
    return value if math.isfinite(value) else None


class SynchronyTrack:
    """Grows two grid series and returns the `sync` update of every completed step.

    Parameters
    ----------
    params : SyncParams
        Grid, window, lag, segment and surrogate settings.
    series : str
        Name of the compared series ("hr_bpm", "ln_rmssd", ...), carried in updates.
    """

    def __init__(self, params: SyncParams, series: str) -> None:
        self.params = params
        self.series = series
        self._w = params.samples("window_s")
        self._lag = params.samples("max_lag_s")
        self._step = params.samples("step_s")
        self._seg = params.samples("segment_s")
        self._cseg = params.samples("concordance_segment_s")
        self._slope_n = params.samples("slope_window_s")
        self._slope_step = params.samples("slope_step_s")
        self._x = np.zeros(1024)  # therapist
        self._y = np.zeros(1024)  # client
        self.n = 0  # grid samples final so far
        self._next_step = 1  # the next window ends at self._next_step * step
        self._peak_z = np.zeros(256)
        self._peak_abs_z = np.zeros(256)  # |z| kept as they come: no abs of all per step
        self._peak_lag = np.zeros(256, dtype=np.int64)
        self._n_windows = 0  # windows stepped so far (available or not)
        self._n_peaks = 0  # windows available
        self._lag_counts = [0] * (2 * self._lag + 1)  # peaks per lag
        self._z_profile = np.zeros(2 * self._lag + 1)  # Σ Fisher z per lag, windows available
        self._lag_s = np.arange(-self._lag, self._lag + 1) / params.grid_hz
        tol = params.simultaneous_s
        # Lags are sorted: client leads below -tol, simultaneous within, therapist above.
        self._lag_cuts = (
            int(np.count_nonzero(self._lag_s < -tol)),
            int(np.count_nonzero(self._lag_s <= tol)),
        )
        horizon = round(SUSY_HORIZON_S * params.grid_hz) // max(1, self._seg)
        self.segments = SegmentMatrix(self._lag, max_segments=max(2, horizon))
        self.chance = ChanceBand(
            self._w, self._lag, params.chance_min_blocks, params.chance_max_blocks
        )
        self._susy: tuple[dict[str, Any] | None, str | None] = (None, "no segment yet")
        # Segments completed by the current `extend`, standardized in one pass
        # (`_standardize_segments`): first segment index, therapist's, client's parts.
        self._seg_parts: tuple[int, np.ndarray, np.ndarray] | None = None
        self._conc_r: list[float] = []
        self._conc: tuple[dict[str, Any] | None, str | None] = (None, "no segment yet")
        self._params_dict = params.to_dict()

    @property
    def therapist(self) -> np.ndarray:
        """Return the therapist's grid series so far (a view)."""
        return self._x[: self.n]

    @property
    def client(self) -> np.ndarray:
        """Return the client's grid series so far (a view)."""
        return self._y[: self.n]

    def pending_ends(self, k: int) -> np.ndarray:
        """Return the window ends (grid indices) that extending by `k` samples steps."""
        last = (self.n + k) // self._step
        return np.arange(self._next_step, last + 1, dtype=np.int64) * self._step

    def shareable(self, ends: np.ndarray) -> bool:
        """Return whether windows `ends` can come from `wcc_shared` (none too early)."""
        w, lag = self._w, self._lag
        return bool(ends.size) and w >= max(2 * lag, 3) and int(ends[0]) >= w + 2 * lag

    def extend(
        self, therapist: np.ndarray, client: np.ndarray, batch: WindowBatch | None = None
    ) -> list[dict[str, Any]]:
        """Append final grid samples of both people; return the updates of completed steps.

        `batch`: the windows of exactly these steps, already computed from both
        people's shared parts (`wcc_shared.pair_batch`); otherwise computed here.
        """
        k = len(therapist)
        if len(client) != k:
            raise ValueError("both people's grid samples must cover the same times")
        need = self.n + k
        if need > self._x.size:
            cap = max(need, 2 * self._x.size)
            self._x = np.concatenate([self._x[: self.n], np.zeros(cap - self.n)])
            self._y = np.concatenate([self._y[: self.n], np.zeros(cap - self.n)])
        self._x[self.n : need] = therapist
        self._y[self.n : need] = client
        self.n = need
        first = self._next_step
        last = self.n // self._step
        if last < first:
            return []
        ends = list(range(first * self._step, (last + 1) * self._step, self._step))
        self._next_step = last + 1
        # Only the tail the new windows need (the same numbers): a live step stays
        # O(1) instead of scanning the whole session for gaps.
        if batch is None:
            lo = max(0, ends[0] - self._w - 2 * self._lag)
            batch = wcc_windows(
                self._x[lo : self.n],
                self._y[lo : self.n],
                np.array(ends, dtype=np.int64) - lo,
                self._w,
                self._lag,
            )
        elif batch.end.tolist() != ends:
            raise ValueError("the given windows are not the ones these samples complete")
        self._standardize_segments(ends[-1])
        updates = []
        # Elementwise, so once per batch (a live step's one window comes with its z).
        z = batch.z if batch.z is not None else fisher_z(batch.r) if len(ends) > 1 else None
        for i, end in enumerate(ends):
            if batch.reason[i] == OK:
                self._z_profile += fisher_z(batch.r[i]) if z is None else z[i]
            self._add_segments(end)
            updates.append(self._update(end, batch, i))
        self._seg_parts = None
        return updates

    def _standardize_segments(self, last_end: int) -> None:
        """Standardize at once the SUSY segments this extend completes, if more than one.

        Offline a session's segments complete in one `extend`; `lagged_parts_many`
        gives each the numbers `SegmentMatrix.add` would compute alone.
        """
        first = self.segments.added
        n = last_end // self._seg - first if self._seg >= 2 * self._lag + 3 else 0
        if n < 2:
            return
        a, b = first * self._seg, (first + n) * self._seg
        shape = (n, self._seg)
        self._seg_parts = (
            first,
            lagged_parts_many(self._x[a:b].reshape(shape), self._lag, True),
            lagged_parts_many(self._y[a:b].reshape(shape), self._lag, False),
        )

    def _add_segments(self, end: int) -> None:
        """Add the chance-band blocks, SUSY and concordance segments complete by `end`."""
        block = self.chance.block
        while self._w >= 2 * self._lag and (self.chance.n_blocks + 1) * block <= end:
            a = self.chance.n_blocks * block
            self.chance.add(self._x[a : a + block], self._y[a : a + block])
        added = False
        if self._seg < 2 * self._lag + 3:
            # SUSY requires segments of at least twice the maximum lag (its R package
            # refuses shorter ones): a lagged r would rest on a handful of samples.
            self._susy = (None, "the SUSY segment is shorter than twice the lag range")
            end = 0
        while (self.segments.added + 1) * self._seg <= end:
            i = self.segments.added
            a = i * self._seg
            parts = None
            if self._seg_parts is not None:
                first, x_parts, y_parts = self._seg_parts
                parts = (x_parts[i - first], y_parts[i - first])
            self.segments.add(self._x[a : a + self._seg], self._y[a : a + self._seg], parts)
            added = True
        if added:
            p = self.params
            self._susy = susy_statistics(self.segments, p.n_surrogates, p.alpha, p.min_segments)
        added = False
        while (len(self._conc_r) + 1) * self._cseg + 2 * self._lag <= end:
            a = len(self._conc_r) * self._cseg  # the therapist's span starts here
            self._conc_r.append(
                segment_r_lagged(
                    self._x[a : a + self._cseg + 2 * self._lag],
                    self._y[a + self._lag : a + self._lag + self._cseg],
                    self._slope_n,
                    self._slope_step,
                    self.params.grid_hz,
                    self._lag,
                )
            )
            added = True
        if added:
            self._conc = concordance_index(self._conc_r)

    def _record_peak(self, z: float, lag: int) -> None:
        if self._n_peaks == self._peak_z.size:
            self._peak_z = np.concatenate([self._peak_z, np.zeros(self._peak_z.size)])
            self._peak_lag = np.concatenate([self._peak_lag, np.zeros_like(self._peak_lag)])
            self._peak_abs_z = np.concatenate([self._peak_abs_z, np.zeros(self._peak_abs_z.size)])
        self._peak_z[self._n_peaks] = z
        self._peak_abs_z[self._n_peaks] = abs(z)
        self._peak_lag[self._n_peaks] = lag
        self._lag_counts[lag + self._lag] += 1
        self._n_peaks += 1

    def _update(self, end: int, batch: Any, i: int) -> dict[str, Any]:
        p = self.params
        period = p.period_ns
        fs = p.grid_hz
        self._n_windows += 1
        unavailable: dict[str, str] = {}
        window = None
        reason = int(batch.reason[i])
        if reason == OK:
            lag = int(batch.peak_lag[i])
            lag_s = lag / fs
            leader = (
                "simultaneous"
                if abs(lag_s) <= p.simultaneous_s
                else ("therapist" if lag_s > 0 else "client")
            )
            window = {
                "start_ns": (end - self._lag - self._w) * period,
                "end_ns": (end - self._lag) * period,
                "peak_r": float(batch.peak_r[i]),
                "peak_z": float(batch.peak_z[i]),
                "peak_lag_s": lag_s,
                "r_lag0": _none_if_nan(float(batch.r_lag0[i])),
                "leader": leader,
            }
            # The largest |r| over lags is the peak's |r| (the peak is its argmax; a NaN
            # is both's): the statistic of the band's pseudo windows.
            self._chance(window, abs(window["peak_r"]), unavailable)
            self._record_peak(float(batch.peak_z[i]), lag)
        else:
            unavailable["window"] = REASONS[reason]
        summary = self.summary()
        if summary is None:
            unavailable["summary"] = "no window available yet"
        susy, susy_reason = self._susy
        if susy_reason:
            unavailable["susy"] = susy_reason
        elif susy is not None and susy.get("above_chance_unavailable"):
            unavailable["above_chance"] = susy["above_chance_unavailable"]
        conc, conc_reason = self._conc
        if conc_reason:
            unavailable["concordance"] = conc_reason
        return {
            "series": self.series,
            "t_ns": end * period,
            "window": window,
            "summary": summary,
            "susy": susy,
            "concordance": conc,
            "unavailable": unavailable,
            "params": self._params_dict,
        }

    def _chance(
        self, window: dict[str, Any], max_abs_r: float, unavailable: dict[str, str]
    ) -> None:
        """Add the chance band and whether the window's largest |r| over lags exceeds it."""
        band, reason = self.chance.band()
        window["chance_abs_r95"] = band
        if band is None:
            window["above_chance"] = None
            unavailable["window_chance"] = reason
            return
        # The largest |r| over lags, as the band's pseudo windows: the same statistic
        # whichever peak the window reports (the band does not depend on peak picking).
        window["above_chance"] = bool(max_abs_r > band)

    def summary(self) -> dict[str, Any] | None:
        """Return the windowed cross-correlation summary of the session so far."""
        k = self._n_peaks
        if k == 0:
            return None
        z = self._peak_z[:k]
        fs = self.params.grid_hz
        # Lags are whole grid samples within ±max lag: counts per lag give the median
        # and the shares in O(lags) per step instead of a sort of every peak so far
        # (the same numbers: the median of two middle values is their float mean).
        # Python integers: 41 of them are cheaper than arrays (the same exact counts,
        # and lag / fs the same float division).
        cum = list(itertools.accumulate(self._lag_counts))
        lo = (bisect.bisect_right(cum, (k - 1) // 2) - self._lag) / fs
        hi = (bisect.bisect_right(cum, k // 2) - self._lag) / fs
        median = lo if k % 2 else (lo + hi) / 2.0
        lag_s = self._lag_s
        # Whole counts from the cumulative sum (exact integers, as summing the counts).
        cut_client, cut_therapist = self._lag_cuts
        n_client = cum[cut_client - 1] if cut_client else 0
        n_up_to_simultaneous = cum[cut_therapist - 1] if cut_therapist else 0
        # The session's lag from the window-averaged cross-correlation profile: under
        # weak coupling each window's peak scatters and their median collapses toward
        # 0, while the average over windows keeps its peak at the true lag
        # (docs/synchrony.md section 2).
        profile = self._z_profile / k
        best = int(np.abs(profile).argmax())
        return {
            "n_windows": self._n_windows,
            "n_available": k,
            # np.mean's own sum and division, without its Python wrapper (15 pairs a step).
            "mean_peak_z": float(np.add.reduce(z) / k),
            "mean_abs_peak_z": float(np.add.reduce(self._peak_abs_z[:k]) / k),
            "median_peak_lag_s": float(median),
            "profile_lag_s": float(lag_s[best]),
            "profile_mean_z": float(profile[best]),
            "share_therapist_leads": (k - n_up_to_simultaneous) / k,
            "share_client_leads": n_client / k,
            "share_simultaneous": (n_up_to_simultaneous - n_client) / k,
        }
