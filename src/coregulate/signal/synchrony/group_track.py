"""The group engine: every person's grid series in, one `sync.group` update per step out.

`GroupTrack` grows the N people's heart rate on the common grid and, for every step
whose window is complete, computes the cluster-phase rho of the window
(`group.cluster_phase_rho`) and compares it with the chance band of `GroupChance`.
The live path extends it a few samples at a time, the offline path once with the
whole session: the same kernels on the same numbers, so live equals offline.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from coregulate.signal.synchrony.group import (
    MIN_GROUP,
    GroupParams,
    band_gain,
    band_phasors_rows,
    cluster_phase_rho,
)
from coregulate.signal.synchrony.params import SyncParams

QUANTILE = 95.0
# Shift vectors per batch of the session verdict: 5 keeps a batch's temporaries near
# 1 MB at 4 people and 20 blocks; 25 (5 MB) ran the hour's verdicts 1.7x slower here,
# its temporaries coming back as fresh pages to fault in (the same numbers either way).
_SHIFT_CHUNK = 5


class GroupChance:
    """Rho of pseudo windows (each person from a different block) and its 95th percentile.

    The grid is cut into non-overlapping blocks of one window. When a block is
    complete, each person's phasors of that block are kept with whether they hold
    (no gap, an oscillation in the band), the latest `chance_max_blocks` blocks in
    which at least `MIN_GROUP` people hold. For the people of a window (all, or those
    with heart rate all through it) the band and the session verdict use the blocks
    where all of them hold. A pseudo window takes person k's phasors from block b_k,
    all b_k different (each person's series shifted in time independently of the
    others, whole blocks at a time): whatever ties the people together at the same
    time is gone, each one's own rhythm is kept. `n_pseudo` such windows are drawn
    with a generator seeded by (`seed`, blocks so far[, the people]), so live,
    replay and offline draw the same ones; the band is their 95th percentile.
    """

    def __init__(self, params: GroupParams, n_people: int, block: int, kept: int) -> None:
        self.params = params
        self.n_people = n_people
        self.block = block
        self.n_blocks = 0  # blocks added (valid or not)
        self._blocks: list[tuple[np.ndarray, np.ndarray]] = []  # (phasors, ok), oldest first
        self._kept = kept
        self._cache: dict[tuple[str, tuple[int, ...]], Any] = {}  # per people, this block

    def add(self, phasors: np.ndarray, ok: np.ndarray) -> None:
        """Add one block: everyone's phasors (people x kept) and whose hold."""
        self.n_blocks += 1
        self._cache.clear()
        if int(np.count_nonzero(ok)) < MIN_GROUP:
            return
        self._blocks.append((phasors, ok))
        if len(self._blocks) > self.params.chance_max_blocks:
            self._blocks.pop(0)

    def _stack(self, people: tuple[int, ...]) -> np.ndarray:
        """Return the phasors of `people` in the blocks where all of them hold."""
        rows = list(people)
        kept = [ph[rows] for ph, ok in self._blocks if ok[rows].all()]
        return np.stack(kept) if kept else np.zeros((0, len(rows), self._kept), complex)

    def _seed(self, people: tuple[int, ...]) -> list[int]:
        base = [self.params.seed, self.n_blocks]
        return base if len(people) == self.n_people else [*base, *people]

    def _too_few(self, k: int, people: tuple[int, ...]) -> str | None:
        need = max(self.params.chance_min_blocks, len(people))
        if k >= need:
            return None
        return (
            f"{k} complete gap-free block(s) of {self.params.window_s:g} s so far "
            f"(the group's chance band needs {need})"
        )

    def band(self, people: tuple[int, ...]) -> tuple[float | None, str]:
        """Return (chance_95, "") for the people of a window, or (None, why not yet)."""
        key = ("band", people)
        if key not in self._cache:
            stack = self._stack(people)
            reason = self._too_few(len(stack), people)
            if reason:
                self._cache[key] = (None, reason)
            else:
                rng = np.random.default_rng(self._seed(people))
                n, k = len(people), len(stack)
                blocks = np.argsort(rng.random((self.params.n_pseudo, k)), axis=1)[:, :n]
                _, rho = cluster_phase_rho(stack[blocks, np.arange(n)[None, :]])
                self._cache[key] = (float(np.percentile(rho, QUANTILE, method="weibull")), "")
        return self._cache[key]

    def session(self, people: tuple[int, ...], alpha: float) -> dict[str, Any]:
        """Return the session verdict: mean rho of the blocks against circular shifts.

        The real statistic is the mean rho of the blocks where these people all hold
        (all at the same time). Surrogate d shifts person k's blocks circularly by d_k
        blocks (d_0 = 0, the d_k all different): each person's own series is kept,
        their alignment is broken. All such shift vectors when there are at most
        `n_pseudo`, else `n_pseudo` drawn (seeded); p = (1 + #{surrogate >= real}) /
        (1 + surrogates), one-sided; a verdict once p can be below `alpha`.
        """
        key = ("session", people)
        if key not in self._cache:
            self._cache[key] = self._session(people, alpha)
        return self._cache[key]

    def _session(self, people: tuple[int, ...], alpha: float) -> dict[str, Any]:
        stack = self._stack(people)
        k, n = len(stack), len(people)
        if self._too_few(k, people):
            return {"above_chance": None, "p_above_chance": None, "n_blocks": k}
        real = float(cluster_phase_rho(stack)[1].mean())
        shifts = _shift_vectors(k, n, self.params.n_pseudo, self._seed(people))
        rows = np.arange(n)[None, None, :]
        exceed = 0
        for i in range(0, len(shifts), _SHIFT_CHUNK):  # bounded memory, few numpy calls
            d = shifts[i : i + _SHIFT_CHUNK]
            pseudo = stack[(np.arange(k)[None, :, None] + d[:, None, :]) % k, rows]
            exceed += int(np.count_nonzero(cluster_phase_rho(pseudo)[1].mean(axis=-1) >= real))
        p = (1 + exceed) / (1 + len(shifts))
        verdict = p < alpha if 1 / (1 + len(shifts)) < alpha else None
        return {
            "above_chance": verdict,
            "p_above_chance": p,
            "n_blocks": k,
            "mean_block_value": real,
            "n_surrogates": len(shifts),
        }


def _shift_vectors(k: int, n: int, most: int, seed: list[int]) -> np.ndarray:
    """Return shift vectors (d_0 = 0, then n - 1 different shifts in 1..k-1), at most `most`."""
    count = math.perm(k - 1, n - 1)
    if count <= most:
        tail = np.array(list(itertools.permutations(range(1, k), n - 1)), dtype=np.int64)
    else:
        rng = np.random.default_rng(seed)
        tail = np.argsort(rng.random((most, k - 1)), axis=1)[:, : n - 1] + 1
    return np.concatenate([np.zeros((len(tail), 1), dtype=np.int64), tail], axis=1)


class GroupTrack:
    """Grows N grid series and returns the `sync.group` update of every completed step.

    Parameters
    ----------
    hr_params : SyncParams
        The heart-rate grid and step (the pairs' own).
    params : GroupParams
        Window, band, edges and chance band of the index.
    keys : tuple of str
        The people, in session order.
    """

    def __init__(self, hr_params: SyncParams, params: GroupParams, keys: tuple[str, ...]) -> None:
        self.params = params
        self.keys = tuple(keys)
        self.period_ns = hr_params.period_ns
        self._step = hr_params.samples("step_s")
        # The index works on each person's mean heart rate per step (1 s at the
        # defaults: a boxcar, gain 0.98 at the band's 0.1 Hz edge), so a window is
        # 180 values instead of 720 and a live step stays cheap.
        fs = hr_params.grid_hz / self._step
        self._w = round(params.window_s * fs)
        self._edge = round(params.edge_s * fs)
        self._gain = band_gain(self._w, fs, params.band_hz)
        self._x = np.zeros((len(self.keys), 1024))  # per-step means
        self._m = 0  # per-step means so far
        self._tail = np.zeros((len(self.keys), 0))  # grid samples of the step in progress
        self.n = 0  # grid samples taken
        self.chance = GroupChance(params, len(self.keys), self._w, self._w - 2 * self._edge)
        self.alpha = hr_params.alpha
        self._people = tuple(range(len(self.keys)))
        self._n_windows = 0
        self._n_available = 0
        self._sum_value = 0.0
        self._n_banded = 0
        self._n_above = 0
        self._params_dict = {
            **params.to_dict(),
            "grid_hz": hr_params.grid_hz,
            "step_s": hr_params.step_s,
            "phase_hz": fs,
        }

    @property
    def series(self) -> np.ndarray:
        """Return everyone's mean heart rate per step so far, (people, steps) (a view)."""
        return self._x[:, : self._m]

    def extend(self, values: np.ndarray) -> list[dict[str, Any]]:
        """Append final grid samples (people x k); return the updates of completed steps."""
        self.n += values.shape[1]
        tail = np.concatenate([self._tail, values], axis=1)
        k = tail.shape[1] // self._step
        self._tail = tail[:, k * self._step :]
        if k == 0:
            return []
        means = tail[:, : k * self._step].reshape(len(self.keys), k, self._step).mean(axis=-1)
        need = self._m + k
        if need > self._x.shape[1]:
            grown = np.zeros((len(self.keys), max(need, 2 * self._x.shape[1])))
            grown[:, : self._m] = self._x[:, : self._m]
            self._x = grown
        self._x[:, self._m : need] = means
        updates = []
        for end in range(self._m + 1, need + 1):
            while (self.chance.n_blocks + 1) * self._w <= end:
                self.chance.add(*self._phasors(self.chance.n_blocks * self._w))
            updates.append(self._update(end))
        self._m = need
        return updates

    def _phasors(self, start: int) -> tuple[np.ndarray, np.ndarray]:
        """Return everyone's phasors of the window from `start` and whose hold."""
        return band_phasors_rows(self._x[:, start : start + self._w], self._gain, self._edge)

    def _update(self, end: int) -> dict[str, Any]:
        self._n_windows += 1
        unavailable: dict[str, str] = {}
        value = band = above = None
        present = tuple(range(len(self.keys)))
        if end < self._w:
            unavailable["value"] = "not enough data yet for one window"
        else:
            phasors, ok = self._phasors(end - self._w)
            present = tuple(int(i) for i in np.flatnonzero(ok))
            if len(present) < MIN_GROUP:
                unavailable["value"] = (
                    f"fewer than {MIN_GROUP} people with heart rate all through the window "
                    "(a gap, a strap off, or a flat heart rate)"
                )
            else:
                # The people with heart rate all through the window; usually everyone.
                value = float(cluster_phase_rho(phasors[list(present)])[1])
                self._n_available += 1
                self._sum_value += value
                band, reason = self.chance.band(present)
                if band is None:
                    unavailable["chance"] = reason
                else:
                    above = value > band
                    self._n_banded += 1
                    self._n_above += above
        if value is not None:
            self._people = present  # the session verdict follows the latest window's people
        period_ns = self.period_ns * self._step
        return {
            "t_ns": end * period_ns,
            "index": self.params.index,
            "series": "hr_bpm",
            "value": value,
            "window_s": self.params.window_s,
            "window_start_ns": (end - self._w) * period_ns,
            "chance_95": band,
            "above_chance": above,
            "people": list(self.keys),
            "people_in_window": [self.keys[i] for i in present] if value is not None else [],
            "n_coupled_pairs_above_chance": 0,
            "summary": self.summary(),
            "session": self.chance.session(self._people, self.alpha),
            "unavailable": unavailable,
            "params": self._params_dict,
        }

    def summary(self) -> dict[str, Any]:
        """Return the group index over the session so far."""
        return {
            "n_windows": self._n_windows,
            "n_available": self._n_available,
            "mean_value": self._sum_value / self._n_available if self._n_available else None,
            "n_banded": self._n_banded,
            "share_above_chance": self._n_above / self._n_banded if self._n_banded else None,
        }
