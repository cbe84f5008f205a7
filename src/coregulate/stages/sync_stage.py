"""The dyadic synchrony stage: `beat.<role>` and `metrics.<role>` in, `sync` out.

Heart rate synchrony comes from the beats, classified and corrected by the same
class as the signal stage's (`signal.person_beats.CorrectedBeats`:
one artifact decision per beat, tested equal), each corrected interval's rate at
its midpoint on a 4 Hz grid, 30 s windows every 1 s. The stage classifies the
`beat.<role>` messages itself rather than reading `metrics.<role>.beats`, so
`coregulate sync FILE` and `analyze` work from the beats alone and the heart-rate
synchrony does not depend on when the signal stage's messages arrive.
The slow synchrony comes from named per-person series in `metrics.<role>`
(`ln_rmssd` and the signal stage's `arousal_index`; any name listed in
`slow_series`) and the breathing rate of `breath.<role>` (sessions with ACC): a
series is tracked from the first message that carries its key.
Each completed step of each series is one `sync` message carrying every
parameter used (docs/protocol.md), so a result can be recomputed from the file.
"""

from __future__ import annotations

import logging
from typing import Any

from coregulate.bus.envelope import (
    TOPIC_BEAT,
    TOPIC_BREATH,
    TOPIC_METRICS,
    TOPIC_SYNC,
    EnvelopeError,
    Message,
)
from coregulate.signal.dyad import ROLES, beat_time_plausible
from coregulate.signal.people import SYNC_GROUP_TOPIC, sync_topic
from coregulate.signal.person import is_no_signal
from coregulate.signal.synchrony.group import GROUP_PARAMS, GroupParams
from coregulate.signal.synchrony.group_offline import group_with_pairs, session_summary_of
from coregulate.signal.synchrony.live import LiveSynchrony, Pair
from coregulate.signal.synchrony.params import HR_PARAMS, SLOW_PARAMS, SyncParams
from coregulate.stages.base import Output

log = logging.getLogger(__name__)

SLOW_SERIES = ("ln_rmssd", "arousal_index")
# Breathing synchrony (issue 17): each person's breathing rate from `breath.<role>`
# (every 5 s, a 60 s estimate) as one more slow series, same parameters and chance band.
BREATH_SERIES = "breathing_rate_bpm"


class SyncStage:
    """Computes live synchrony between every pair of people (and the group) and publishes it.

    Two people (the default dyad) publish their pair as `sync`, exactly as before
    groups existed. Three to six publish each pair (a, b) as `sync.<a>.<b>` (the same
    payload plus ``"pair": [a, b]``; positive lag = b leads) and the group index as
    `sync.group` (heart rate, every step; `group_track.GroupTrack`).

    Parameters
    ----------
    hr_params, slow_params : SyncParams
        Settings of the heart-rate and of the slow-series synchrony.
    slow_series : tuple of str
        Fields of `metrics.<role>` to compare between the two people.
    phase_at_end : bool
        At the end of the session, publish a final message per series with the
        (offline-only) Hilbert phase synchrony of the whole session (and, with 3 or
        more people, a final `sync.group` with the session's summary).
    name : str
        Bus source name; a restarted stage takes a new one.
    people : tuple of str
        The people's keys in session order (`signal.people`); the dyad by default.
    group_params : GroupParams
        The group index's settings (3 or more people).
    """

    topics = (TOPIC_BEAT + ".", TOPIC_METRICS + ".", TOPIC_BREATH + ".")
    produces = (TOPIC_SYNC,)

    def __init__(
        self,
        hr_params: SyncParams = HR_PARAMS,
        slow_params: SyncParams = SLOW_PARAMS,
        slow_series: tuple[str, ...] = SLOW_SERIES,
        phase_at_end: bool = True,
        name: str = "sync",
        people: tuple[str, ...] = ROLES,
        group_params: GroupParams = GROUP_PARAMS,
    ) -> None:
        self.name = name
        self.slow_params = slow_params
        self.slow_series = slow_series
        self.phase_at_end = phase_at_end
        self.people = tuple(people)
        self.tracks: dict[str, LiveSynchrony] = {
            "hr_bpm": LiveSynchrony(hr_params, "hr_bpm", self.people, group_params)
        }
        self._last: dict[tuple[str, Pair], dict[str, Any]] = {}
        self._last_group: dict[str, Any] | None = None  # the newest `sync.group` update
        self._group_band: float | None = None  # its newest chance band given
        self.now_ns = 0
        self._seen = False  # until a message is taken, now_ns is no session time

    def update(self, msg: Message) -> list[Output]:
        """Return the `sync` messages of every step completed by this input."""
        role = msg.role
        if role not in self.people:
            return []
        kind = msg.topic.split(".", 1)[0]
        try:
            data = msg.json()
            # Never extend the grids to a time far from the session's: a forged beat
            # at 9e18 ns asked for 268 GiB.
            newest = self.now_ns if self._seen else None
            times = [msg.t_ns]
            if kind == TOPIC_BEAT:
                times += [int(t) for t in data["t_ns"]]
            elif not is_no_signal(data):
                times.append(int(data["t_ns"]))
            if not all(beat_time_plausible(t, newest) for t in times):
                raise ValueError("a time far from the session's")
            if kind == TOPIC_BEAT:
                self.tracks["hr_bpm"].add_beats(
                    role, data["t_ns"], data["rr_ms"], bool(data["gap_before"])
                )
            elif kind == TOPIC_BREATH:
                # No rate (moving, too little data) is a gap in the series, like a null metric.
                self._add_value(role, BREATH_SERIES, int(data["t_ns"]), data[BREATH_SERIES])
            elif is_no_signal(data):
                # A "no signal" update is the signal stage's judgement of time passing
                # (from the order messages came in); the series keep to the values the
                # beats gave, so the offline analysis of the same beats stays equal.
                return []
            else:
                for series in self.slow_series:
                    if series in data:
                        self._add_value(role, series, int(data["t_ns"]), data[series])
        except (EnvelopeError, KeyError, TypeError, ValueError, OverflowError) as exc:
            log.warning("ignored a malformed %s message (seq %d): %s", msg.topic, msg.seq, exc)
            return []
        self._seen = True
        self.now_ns = max(self.now_ns, msg.t_ns)
        return self._advance(self.now_ns)

    def _add_value(self, role: str, series: str, t_ns: int, value: object) -> None:
        """Add one person's value of a slow series, tracking the series from its first value."""
        if value is not None and not isinstance(value, int | float):
            raise TypeError(f"{series} is {type(value).__name__}, not a number")
        if series not in self.tracks:
            self.tracks[series] = LiveSynchrony(self.slow_params, series, self.people)
        self.tracks[series].add_value(role, t_ns, value)

    def _advance(self, now_ns: int) -> list[Output]:
        out = []
        for live in self.tracks.values():
            out += self._publish(live, live.advance_all(now_ns))
        return out

    def _publish(
        self, live: LiveSynchrony, updates: list[tuple[Pair | None, dict[str, Any]]]
    ) -> list[Output]:
        out = []
        for pair, update in updates:
            update["final"] = False
            if pair is None:
                self._last_group = update
                if update["chance_95"] is not None:
                    self._group_band = update["chance_95"]
                out.append(Output(SYNC_GROUP_TOPIC, update, update["t_ns"]))
                continue
            update["late_values"] = live.late_of(pair)
            out.append(self._pair_output(pair, update))
            self._last[live.series, pair] = update
        return out

    def _pair_output(self, pair: Pair, update: dict[str, Any]) -> Output:
        """Return one pair's message: `sync` in a dyad, else `sync.a.b` naming the pair."""
        if len(self.people) == 2:
            return Output(TOPIC_SYNC, update, update["t_ns"])
        update["pair"] = list(pair)
        return Output(sync_topic(*pair, len(self.people)), update, update["t_ns"])

    def terminate(self) -> list[Output]:
        """Return the steps still pending at the end, then one final message per series.

        With 3 or more people the group's final `sync.group` comes last (`_group_final`).
        """
        out = []
        for live in self.tracks.values():
            out += self._publish(live, live.finish_all())
        if not self.phase_at_end:
            return out
        from coregulate.signal.synchrony.phase import phase_synchrony

        for series, live in self.tracks.items():
            for pair, track in live.tracks.items():
                last = self._last.get((series, pair))
                if last is None:
                    continue
                final = dict(last)
                final["final"] = True
                final["unavailable"] = dict(last["unavailable"])
                stats, reason = phase_synchrony(
                    track.therapist, track.client, live.params.grid_hz, live.params.phase_band_hz
                )
                final["phase"] = stats
                if reason:
                    final["unavailable"]["phase"] = reason
                out.append(self._pair_output(pair, final))
        if self._last_group is not None:
            out.append(self._group_final(self._last_group))
        return out

    def _group_final(self, last: dict[str, Any]) -> Output:
        """Return the group's final message: its last step again, with the session's summary.

        ``session_summary`` is what `coregulate analyze` reports as `group` for the
        whole session (`group_offline.group_with_pairs`): the index's value and
        verdict, and how many pairs' heart-rate synchrony is above chance.
        """
        verdicts = []
        for pair in self.tracks["hr_bpm"].pairs:
            susy = (self._last.get(("hr_bpm", pair)) or {}).get("susy") or {}
            verdicts.append(susy.get("above_chance"))
        final = dict(last)
        final["final"] = True
        summary = session_summary_of(last, self._group_band)
        final["session_summary"] = group_with_pairs(self.people, summary, verdicts)
        return Output(SYNC_GROUP_TOPIC, final, final["t_ns"])
