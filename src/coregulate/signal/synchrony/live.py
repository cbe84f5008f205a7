"""Live dyadic synchrony: beats or values in as they arrive, `sync` updates out.

Beats are classified and corrected by the metrics chain's own decision class
(`signal.person_beats.CorrectedBeats`: the final classes, 45 beats of look-ahead)
and become values at their intervals' midpoints (`grid.BeatEvents`), interpolated onto the grid
(`grid.interpolate_on_grid`).

A grid point is final for a person once they have a value stamped `reorder_s`
after it, or
once the session has moved `settle_s` past it (someone disconnected: their grid
stays missing there). When both people's grid is final up to a time, the
`SynchronyTrack` is extended to it and returns the updates of the steps that
completed. Values arriving for a time already final are late: they are counted
(`late`, published) and left out. Replaying the session file feeds the messages in
the same order, so replay still equals live; only a computation from the complete
arrays (`offline.synchrony_offline`) would have used them. With notifications
about 1 s apart this stays 0; it happens when one person's messages reach the hub
more than `settle_s` after the other's (a stalled producer in an accelerated
simulation, where 0.2 s of wall time is 10 s of session time).
"""

from __future__ import annotations

import bisect
import logging
import math
from typing import Any

import numpy as np

from coregulate.signal.dyad import ROLES
from coregulate.signal.people import pairs
from coregulate.signal.person_beats import CorrectedBeats
from coregulate.signal.synchrony.grid import BeatEvents, interpolate_on_grid
from coregulate.signal.synchrony.group import GroupParams
from coregulate.signal.synchrony.group_track import GroupTrack
from coregulate.signal.synchrony.params import NS_PER_S, SyncParams
from coregulate.signal.synchrony.track import SynchronyTrack
from coregulate.signal.synchrony.wcc_shared import PersonWindows, WindowRows, pair_batch

log = logging.getLogger(__name__)

Pair = tuple[str, str]
# Grid times interpolated one at a time (a live step's few); more at once as arrays.
_FEW_GRID = 16


class _Person:
    """One person's recent values (time-ordered) and how far their grid is final."""

    def __init__(self, series: str) -> None:
        self.t_ns: list[int] = []
        self.value: list[float] = []
        self.beats = CorrectedBeats()
        self.events = BeatEvents(series)
        self.late = 0
        self.grid = np.zeros(1024)  # this person's final grid values, shared by their pairs
        self.n_grid = 0
        self.rows: WindowRows | None = None  # window rows kept across steps (wcc_shared)

    def final_until_ns(self, period_ns: int) -> int:
        """Return the last grid time (ns) already used: a value for it or before is late."""
        if self.n_grid == 0:
            # Nothing final yet: a first beat's midpoint may lie before the session
            # start, and grid time 0 interpolates from it.
            return -(2**62)
        return (self.n_grid - 1) * period_ns

    def grid_until(self, n: int, period_ns: int, max_hold_ns: int) -> np.ndarray:
        """Return this person's grid values 0..n-1, interpolating the new ones once."""
        if n > self.n_grid:
            if n > self.grid.size:
                self.grid = np.concatenate([self.grid, np.zeros(max(n, 2 * self.grid.size))])
            if n - self.n_grid <= _FEW_GRID:
                grid_t = [j * period_ns for j in range(self.n_grid, n)]
                self.grid[self.n_grid : n] = _interpolate_few(
                    self.t_ns, self.value, grid_t, max_hold_ns
                )
            else:
                grid_t = np.arange(self.n_grid, n, dtype=np.int64) * period_ns
                self.grid[self.n_grid : n] = interpolate_on_grid(
                    np.array(self.t_ns, dtype=np.int64),
                    np.array(self.value, dtype=np.float64),
                    grid_t,
                    max_hold_ns,
                )
            self.n_grid = n
            self.prune((n - 1) * period_ns - max_hold_ns)
        return self.grid[:n]

    def add_classified(self, classified: list[tuple[int, float, int]], final_until_ns: int) -> None:
        """Add the events of beats the classifier has decided on."""
        for t, nn, kind in classified:
            for t_event, value in self.events.events(t, nn, kind):
                self.add(t_event, value, final_until_ns)

    def add(self, t_ns: int, value: float, final_until_ns: int) -> None:
        if t_ns <= final_until_ns:
            self.late += 1
            return
        # Beat placement may move a notification's beats slightly before the previous
        # one's (the arrival-time anchor is re-estimated): keep the values in time
        # order, ties in arrival order, as the offline path's stable sort does.
        i = bisect.bisect_right(self.t_ns, t_ns)
        self.t_ns.insert(i, t_ns)
        self.value.insert(i, value)

    def final_ns(self, silent_final_ns: int, reorder_ns: int) -> int:
        """Return the last time this person's grid is final.

        Final `reorder_ns` before their newest value, or at `silent_final_ns` if they
        are silent; but never past beats whose class is still pending: their values
        come when the classifier's look-ahead arrives (or a gap or the session end
        decides them), and must not be late. So while a person is silent the grid
        waits at their last decided beat (docs/synchrony.md section 1).
        """
        final = max(self.t_ns[-1] - reorder_ns if self.t_ns else -1, silent_final_ns)
        if self.beats.pending:
            end = self.events.end_ns
            final = min(final, end - reorder_ns if end is not None else -1)
        return final

    def prune(self, before_ns: int) -> None:
        """Forget values no later grid point can use (keep the last one before)."""
        k = bisect.bisect_right(self.t_ns, before_ns) - 1
        if k > 0:
            del self.t_ns[:k]
            del self.value[:k]


def _interpolate_few(
    t_ns: list[int], value: list[float], grid_t_ns: list[int], max_gap_ns: int
) -> list[float]:
    """Return `grid.interpolate_on_grid` of a few grid times, one at a time.

    A live step interpolates about 4 grid times: the same operations on the same
    numbers (exact integer differences below 2**53, one float division, one
    multiply-add), without a dozen array calls.
    """
    out = []
    for g in grid_t_ns:
        i = bisect.bisect_right(t_ns, g) - 1
        if i < 0:
            out.append(math.nan)
        elif t_ns[i] == g:
            out.append(value[i])
        elif i + 1 < len(t_ns) and t_ns[i + 1] - t_ns[i] <= max_gap_ns:
            frac = (g - t_ns[i]) / (t_ns[i + 1] - t_ns[i])
            out.append(value[i] + (value[i + 1] - value[i]) * frac)
        else:
            out.append(math.nan)
    return out


class LiveSynchrony:
    """Streaming synchrony of one series between every pair of people (and the group).

    Parameters
    ----------
    params : SyncParams
        Settings; the same as the offline computation's for identical results.
    series : str
        "hr_bpm" or "ibi_ms" for beats (`add_beats`), or the name of a per-person
        value series such as "ln_rmssd" (`add_value`).
    keys : tuple of str
        The people, in session order (default: the dyad, client then therapist).
        Pair (a, b) of `signal.people.pairs` gets a `SynchronyTrack` whose positive
        lag means b leads; each person's beats, classes and grid are computed once
        and shared by all their pairs.
    group : GroupParams or None
        With 3 or more people, also the group index (`group_track.GroupTrack`).

    Examples
    --------
    >>> live = LiveSynchrony(SyncParams(), "hr_bpm")
    >>> live.add_beats("client", [800_000_000], [800.0], False)
    >>> live.advance(1_000_000_000)
    []
    """

    def __init__(
        self,
        params: SyncParams,
        series: str = "hr_bpm",
        keys: tuple[str, ...] = ROLES,
        group: GroupParams | None = None,
    ) -> None:
        self.params = params
        self.series = series
        self.keys = tuple(keys)
        self.pairs = pairs(self.keys)
        self.tracks = {pair: SynchronyTrack(params, series) for pair in self.pairs}
        self.group = (
            GroupTrack(params, group, self.keys) if group is not None and len(keys) > 2 else None
        )
        # Each pair's session verdict per step, until the group's step counts it.
        self._verdicts: dict[tuple[str, str], dict[int, bool]] = {p: {} for p in self.pairs}
        self._people = {key: _Person(series) for key in self.keys}
        self._step_windows: dict[tuple[str, int, int], PersonWindows] = {}
        self._max_hold_ns = round(params.max_hold_s * NS_PER_S)
        self._settle_ns = round(params.settle_s * NS_PER_S)
        self._reorder_ns = round(params.reorder_s * NS_PER_S)
        self.now_ns = 0

    @property
    def track(self) -> SynchronyTrack:
        """Return the first pair's track (the dyad's one)."""
        return self.tracks[self.pairs[0]]

    @property
    def late(self) -> int:
        """Return how many values arrived for grid times that were already final."""
        return sum(p.late for p in self._people.values())

    def late_of(self, keys: tuple[str, ...]) -> int:
        """Return how many of these people's values arrived late."""
        return sum(self._people[k].late for k in keys)

    def add_beats(self, role: str, t_ns: list[int], rr_ms: list[float], gap_before: bool) -> None:
        """Add one notification's beats of person `role` (corrected as `grid.beat_events`)."""
        person = self._people[role]
        final_until = person.final_until_ns(self.params.period_ns)
        person.add_classified(person.beats.update(t_ns, rr_ms, gap_before), final_until)
        if t_ns:
            self.now_ns = max(self.now_ns, int(t_ns[-1]))

    def add_value(self, role: str, t_ns: int, value: float | None) -> None:
        """Add one value of person `role` (None = not available: the grid goes missing)."""
        v = np.nan if value is None else float(value)
        person = self._people[role]
        person.add(int(t_ns), v, person.final_until_ns(self.params.period_ns))
        self.now_ns = max(self.now_ns, int(t_ns))

    def advance(self, now_ns: int | None = None) -> list[dict[str, Any]]:
        """Return the pair updates of every step completed up to the session time `now_ns`."""
        return [u for pair, u in self.advance_all(now_ns) if pair is not None]

    def advance_all(self, now_ns: int | None = None) -> list[tuple[Pair | None, dict[str, Any]]]:
        """Return (pair, update) of every step completed by `now_ns`; pair None = the group."""
        if now_ns is not None:
            self.now_ns = max(self.now_ns, int(now_ns))
        return self._extend_to(self.now_ns - self._settle_ns)

    def finish(self) -> list[dict[str, Any]]:
        """Return the remaining pair updates at the end of the session (all data is in)."""
        return [u for pair, u in self.finish_all() if pair is not None]

    def finish_all(self) -> list[tuple[Pair | None, dict[str, Any]]]:
        """Return the remaining (pair, update)s at the end of the session (all data is in).

        The classifier's pending beats are decided with windows cut off by the end,
        its last two count as normal (as `classify_series` and NeuroKit2 do).
        """
        for person in self._people.values():
            person.add_classified(
                person.beats.flush(), person.final_until_ns(self.params.period_ns)
            )
        return self._extend_to(self.now_ns)

    def _extend_to(self, silent_final_ns: int) -> list[tuple[Pair | None, dict[str, Any]]]:
        period = self.params.period_ns
        n_final = {}
        for key, person in self._people.items():
            final_ns = person.final_ns(silent_final_ns, self._reorder_ns)
            n_final[key] = final_ns // period + 1 if final_ns >= 0 else 0
        out: list[tuple[Pair | None, dict[str, Any]]] = []
        shared: dict[tuple[str, int, int], PersonWindows] = {}
        for pair, track in self.tracks.items():
            a, b = pair
            n = min(n_final[a], n_final[b])
            if n <= track.n:
                continue
            start = track.n
            x = self._people[b].grid_until(n, period, self._max_hold_ns)
            y = self._people[a].grid_until(n, period, self._max_hold_ns)
            batch = None
            ends = track.pending_ends(n - start)
            if len(self.tracks) > 1 and track.shareable(ends):
                # Each person's window parts once for all their pairs (wcc_shared).
                lead = self._windows(shared, b, x, ends, track)
                batch = pair_batch(lead, self._windows(shared, a, y, ends, track))
            for update in track.extend(x[start:n], y[start:n], batch):
                out.append((pair, update))
                if self.group is not None:
                    susy = update["susy"] or {}
                    self._verdicts[pair][update["t_ns"]] = susy.get("above_chance") is True
        if self._step_windows:
            self._forget_windows()
        if self.group is not None:
            out += self._extend_group(min(n_final.values()))
        if len(self.tracks) > 1:  # steps in time order, the group after the pairs
            out.sort(key=lambda item: (item[1]["t_ns"], item[0] is None))
        return out

    def _windows(
        self,
        shared: dict[tuple[str, int, int], PersonWindows],
        key: str,
        series: np.ndarray,
        ends: np.ndarray,
        track: SynchronyTrack,
    ) -> PersonWindows:
        """Return person `key`'s window parts for `ends`, computed once for all their pairs.

        A single step's parts are kept across calls (each pair completes a step when
        its own two people are final, so pairs reach the same step in different
        calls) until every pair is past that step; a batch of steps, per call.
        """
        memo = (key, int(ends[0]), int(ends[-1]))
        cache = self._step_windows if ends.size == 1 else shared
        if memo not in cache:
            w, lag = track.params.samples("window_s"), track.params.samples("max_lag_s")
            person = self._people[key]
            if person.rows is None:
                person.rows = WindowRows(w, lag)
            cache[memo] = PersonWindows(series, ends, w, lag, person.rows)
        return cache[memo]

    def _forget_windows(self) -> None:
        """Drop the kept parts of steps every pair is past."""
        done = min(track.n for track in self.tracks.values())
        for memo in [m for m in self._step_windows if m[1] <= done]:
            del self._step_windows[memo]

    def _extend_group(self, n: int) -> list[tuple[Pair | None, dict[str, Any]]]:
        group = self.group
        assert group is not None
        if n <= group.n:
            return []
        period = self.params.period_ns
        start = group.n
        values = np.stack(
            [self._people[k].grid_until(n, period, self._max_hold_ns)[start:n] for k in self.keys]
        )
        out: list[tuple[Pair | None, dict[str, Any]]] = []
        for update in group.extend(values):
            update["n_coupled_pairs_above_chance"] = sum(
                self._verdicts[pair].pop(update["t_ns"], False) for pair in self.pairs
            )
            out.append((None, update))
        return out
