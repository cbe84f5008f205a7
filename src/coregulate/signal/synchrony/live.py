"""Live dyadic synchrony: beats or values in as they arrive, `sync` updates out.

Beats are classified and corrected as the metrics chain does (`grid.CorrectedBeats`:
the same classifier and its final classes, 45 beats of look-ahead) and become values at their
intervals' midpoints (`grid.BeatEvents`), interpolated onto the grid
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
from typing import Any

import numpy as np

from coregulate.signal.dyad import ROLES
from coregulate.signal.synchrony.grid import BeatEvents, CorrectedBeats, interpolate_on_grid
from coregulate.signal.synchrony.params import NS_PER_S, SyncParams
from coregulate.signal.synchrony.track import SynchronyTrack

log = logging.getLogger(__name__)


class _Person:
    """One person's recent values (time-ordered) and how far their grid is final."""

    def __init__(self, series: str) -> None:
        self.t_ns: list[int] = []
        self.value: list[float] = []
        self.beats = CorrectedBeats()
        self.events = BeatEvents(series)
        self.late = 0

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
        self._people = {role: _Person(series) for role in ROLES}
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
        if self.track.n == 0:
            # Nothing final yet: a first beat's midpoint may lie before the session
            # start, and grid time 0 interpolates from it.
            return -(2**62)
        return (self.track.n - 1) * self.params.period_ns

    def add_beats(self, role: str, t_ns: list[int], rr_ms: list[float], gap_before: bool) -> None:
        """Add one notification's beats of `role` (corrected as in `grid.beat_events`)."""
        person = self._people[role]
        person.add_classified(person.beats.update(t_ns, rr_ms, gap_before), self._final_until_ns())
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
        """Return the remaining updates at the end of the session (all data is in).

        The classifier's pending beats are decided with windows cut off by the end,
        its last two count as normal (as `classify_series` and NeuroKit2 do).
        """
        for person in self._people.values():
            person.add_classified(person.beats.flush(), self._final_until_ns())
        return self._extend_to(self.now_ns)

    def _extend_to(self, silent_final_ns: int) -> list[dict[str, Any]]:
        period = self.params.period_ns
        final_ns = min(p.final_ns(silent_final_ns, self._reorder_ns) for p in self._people.values())
        n_final = final_ns // period + 1 if final_ns >= 0 else 0
        if n_final <= self.track.n:
            return []
        grid_t = np.arange(self.track.n, n_final, dtype=np.int64) * period
        values = {}
        for role, person in self._people.items():
            values[role] = interpolate_on_grid(
                np.array(person.t_ns, dtype=np.int64),
                np.array(person.value, dtype=np.float64),
                grid_t,
                self._max_hold_ns,
            )
            person.prune(int(grid_t[-1]) - self._max_hold_ns)
        return self.track.extend(values["therapist"], values["client"])
