"""Live dyadic synchrony: beats or values in as they arrive, `sync` updates out.

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
from typing import Any

import numpy as np

from coregulate.signal.dyad import ROLES
from coregulate.signal.synchrony.grid import BeatScreen, beat_values, hold_on_grid
from coregulate.signal.synchrony.params import NS_PER_S, SyncParams
from coregulate.signal.synchrony.track import SynchronyTrack

log = logging.getLogger(__name__)


class _Person:
    """One person's recent values (time-ordered) and how far their grid is final."""

    def __init__(self) -> None:
        self.t_ns: list[int] = []
        self.value: list[float] = []
        self.screen = BeatScreen()
        self.late = 0

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

    def prune(self, before_ns: int) -> None:
        """Forget values no later grid point can use (keep the last one before)."""
        k = int(np.searchsorted(self.t_ns, before_ns, side="right")) - 1
        if k > 0:
            del self.t_ns[:k]
            del self.value[:k]


class LiveSynchrony:
    """Streaming synchrony of one series between client and therapist.

    Parameters
    ----------
    params : SyncParams
        Settings; the same as the offline computation's for identical results.
    series : str
        "hr_bpm" or "ibi_ms" for beats (`add_beats`), or the name of a per-person
        value series such as "ln_rmssd" (`add_value`).

    Examples
    --------
    >>> live = LiveSynchrony(SyncParams(), "hr_bpm")
    >>> live.add_beats("client", [800_000_000], [800.0], False)
    >>> live.advance(1_000_000_000)
    []
    """

    def __init__(self, params: SyncParams, series: str = "hr_bpm") -> None:
        self.params = params
        self.series = series
        self.track = SynchronyTrack(params, series)
        self._people = {role: _Person() for role in ROLES}
        self._max_hold_ns = round(params.max_hold_s * NS_PER_S)
        self._settle_ns = round(params.settle_s * NS_PER_S)
        self._reorder_ns = round(params.reorder_s * NS_PER_S)
        self.now_ns = 0

    @property
    def late(self) -> int:
        """Return how many values arrived for grid times that were already final."""
        return sum(p.late for p in self._people.values())

    def _final_until_ns(self) -> int:
        """Return the last grid time (ns) already final: everything up to it is computed."""
        return (self.track.n - 1) * self.params.period_ns

    def add_beats(self, role: str, t_ns: list[int], rr_ms: list[float], gap_before: bool) -> None:
        """Add one notification's beats of `role` (screened as in `grid.screen_beats`)."""
        person = self._people[role]
        final = self._final_until_ns()
        for i, (t, rr) in enumerate(zip(t_ns, rr_ms, strict=True)):
            if person.screen.accept(float(rr), gap_before and i == 0):
                person.add(int(t), beat_values(float(rr), self.series), final)
        if t_ns:
            self.now_ns = max(self.now_ns, int(t_ns[-1]))

    def add_value(self, role: str, t_ns: int, value: float | None) -> None:
        """Add one value of `role` (None = not available: the grid goes missing)."""
        v = np.nan if value is None else float(value)
        self._people[role].add(int(t_ns), v, self._final_until_ns())
        self.now_ns = max(self.now_ns, int(t_ns))

    def advance(self, now_ns: int | None = None) -> list[dict[str, Any]]:
        """Return the updates of every step completed up to the session time `now_ns`."""
        if now_ns is not None:
            self.now_ns = max(self.now_ns, int(now_ns))
        return self._extend_to(self.now_ns - self._settle_ns)

    def finish(self) -> list[dict[str, Any]]:
        """Return the remaining updates at the end of the session (all data is in)."""
        return self._extend_to(self.now_ns)

    def _extend_to(self, silent_final_ns: int) -> list[dict[str, Any]]:
        period = self.params.period_ns
        final_ns = min(
            max(p.t_ns[-1] - self._reorder_ns if p.t_ns else -1, silent_final_ns)
            for p in self._people.values()
        )
        n_final = final_ns // period + 1 if final_ns >= 0 else 0
        if n_final <= self.track.n:
            return []
        grid_t = np.arange(self.track.n, n_final, dtype=np.int64) * period
        values = {}
        for role, person in self._people.items():
            values[role] = hold_on_grid(
                np.array(person.t_ns, dtype=np.int64),
                np.array(person.value, dtype=np.float64),
                grid_t,
                self._max_hold_ns,
            )
            person.prune(int(grid_t[-1]) - self._max_hold_ns)
        return self.track.extend(values["therapist"], values["client"])
