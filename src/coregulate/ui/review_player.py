"""Plays a recorded session into the live window's model: play, pause, speed, scrub, markers.

The recording holds every message the session's pipeline produced (metrics, states,
synchrony, markers), and replay (`coregulate replay`) reproduces them bit for bit from
the raw notifications; so the review plays the recorded messages themselves, in session
time, into the same `SessionModel` the live window draws. A file without live metrics
(an import) plays what `coregulate analyze` computes from its beats instead
(`review/derived.py`; `derived` then says so). Going forward ingests the
next messages; going back rebuilds the model up to the new time. The file is opened
read-only and never changed.

What follows a moment matters as much as what led to it (a rupture's aftermath), so
the model holds the session up to `after_s` past the playhead, for the plots to show
both sides of it; what the views *say* (state words, numbers, strap status,
synchrony) is the newest message at or before the playhead (`_newest_at_playhead`).
"""

from __future__ import annotations

import bisect
import logging
import math
import os

from coregulate.bus.envelope import Message
from coregulate.review.derived import derived_analysis, derived_messages
from coregulate.sessionfile.access import SessionFileError, read_messages
from coregulate.ui.feed import UI_TOPICS
from coregulate.ui.model import SessionModel

log = logging.getLogger(__name__)

SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
DEFAULT_AFTER_S = 180.0  # the plots show 3 minutes after the playhead (and before it)


class ReviewPlayer:
    """A playback position over a recording, feeding `model` up to that position."""

    def __init__(
        self,
        recording: str | os.PathLike[str],
        model: SessionModel,
        after_s: float = DEFAULT_AFTER_S,
    ) -> None:
        self.model = model
        self.after_ns = int(after_s * 1e9)
        recorded = list(read_messages(recording, UI_TOPICS))
        self.derived = False  # True: metrics and synchrony computed from the beats
        if not any(m.topic.startswith("metrics.") for m in recorded):
            recorded += self._derive(recording)
        self.messages: list[Message] = sorted(recorded, key=lambda m: m.t_ns)
        self._times = [m.t_ns for m in self.messages]
        self.end_ns = self._times[-1] if self._times else 0
        self.position_ns = 0
        self._next = 0  # index of the first message not yet in the model
        self.playing = False
        self.speed = 1.0
        self._session = [m for m in self.messages if m.topic == "session"]
        # Per topic whose newest message the views show: the messages and their times.
        self._said: dict[str, tuple[list[int], list[Message]]] = {}
        for msg in self.messages:
            if msg.topic.startswith(("metrics.", "status.")) or msg.topic == "sync.group":
                key = msg.topic
            elif msg.topic.startswith("sync"):  # one series' newest, not another's
                key = f"{msg.topic}:{_series(msg)}"
            else:
                continue
            times, msgs = self._said.setdefault(key, ([], []))
            times.append(msg.t_ns)
            msgs.append(msg)
        self.seek(0)

    def _derive(self, recording: str | os.PathLike[str]) -> list[Message]:
        """Return the analysis's messages for a file with beats but no live metrics."""
        try:
            messages = derived_messages(derived_analysis(recording))
        except (SessionFileError, OSError, ValueError) as exc:
            log.info("nothing to compute for %s: %s", os.fspath(recording), exc)
            return []
        self.derived = bool(messages)
        return messages

    def set_speed(self, speed: float) -> None:
        """Play at `speed` times real time (0.5 to 16)."""
        if not SPEEDS[0] <= speed <= SPEEDS[-1]:
            raise ValueError(f"speed must be between {SPEEDS[0]:g} and {SPEEDS[-1]:g}x")
        self.speed = float(speed)

    def advance(self, host_s: float) -> None:
        """Move on by `host_s` seconds of playing time (nothing while paused)."""
        if self.playing:
            self.seek(self.position_ns + int(host_s * self.speed * 1e9))
            if self.position_ns >= self.end_ns:
                self.playing = False

    def seek(self, t_ns: int) -> None:
        """Show the session as it was at session time `t_ns` (scrub)."""
        t_ns = max(0, min(int(t_ns), self.end_ns))
        stop = bisect.bisect_right(self._times, t_ns + self.after_ns)
        if stop < self._next:  # backwards: rebuild the model from the start
            version = self.model.version
            self.model.__init__()  # the views keep their reference to this model
            self.model.version = version + 1
            self._next = 0
            for msg in self._session:  # the session message may be stamped after t = 0
                self.model.ingest(msg)
        for msg in self.messages[self._next : stop]:
            self.model.ingest(msg)
        self._next = stop
        self.position_ns = t_ns
        self.model.now_s = t_ns / 1e9  # the playhead, not the newest message held
        self._newest_at_playhead(t_ns)

    def _newest_at_playhead(self, t_ns: int) -> None:
        """Make each person's, strap's and synchrony's newest payload the one at `t_ns`."""
        for role, person in self.model.people.items():
            msg = self._newest(f"metrics.{role}", t_ns)
            person.latest = {**msg.json_object(), "_t_s": msg.t_ns / 1e9} if msg else {}
            msg = self._newest(f"status.{role}", t_ns)
            person.strap = msg.json_object() if msg else {}
            person.strap_t_s = msg.t_ns / 1e9 if msg else math.nan
        for series, sync in self.model.sync.items():
            msg = self._newest(f"sync:{series}", t_ns)
            sync.latest = msg.json_object() if msg else {}
        # A group session's pairs and group index (3+ people), the same way.
        for (a, b), by_series in self.model.pair_sync.items():
            for series, sync in by_series.items():
                msg = self._newest(f"sync.{a}.{b}:{series}", t_ns)
                sync.latest = msg.json_object() if msg else {}
        msg = self._newest("sync.group", t_ns)
        self.model.group.latest = msg.json_object() if msg else {}

    def _newest(self, topic: str, t_ns: int) -> Message | None:
        times, msgs = self._said.get(topic, ([], []))
        i = bisect.bisect_right(times, t_ns)
        return msgs[i - 1] if i else None

    def marker_times_ns(self) -> list[int]:
        """Return the session's visible markers' times (ns), from the whole recording."""
        full = SessionModel()
        for msg in self.messages:
            if msg.topic == "marker":
                full.ingest(msg)
        return sorted(int(m.t_s * 1e9) for m in full.visible_markers())

    def next_marker(self, times_ns: list[int] | None = None) -> int | None:
        """Jump to the first marker after the position; return its time or None."""
        times = self.marker_times_ns() if times_ns is None else sorted(times_ns)
        later = [t for t in times if t > self.position_ns]
        if later:
            self.seek(later[0])
            return later[0]
        return None

    def previous_marker(self, times_ns: list[int] | None = None) -> int | None:
        """Jump to the last marker before the position; return its time or None."""
        times = self.marker_times_ns() if times_ns is None else sorted(times_ns)
        earlier = [t for t in times if t < self.position_ns]
        if earlier:
            self.seek(earlier[-1])
            return earlier[-1]
        return None


def _series(msg: Message) -> str:
    return str(msg.json_object().get("series", "hr_bpm"))
