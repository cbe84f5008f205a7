"""Recorded straps as a `HeartRateSource`: a session file's raw notifications, re-timed.

Replay yields what a strap source yielded live: each `hrm.<role>` notification's
exact bytes with its original arrival time, and the strap's own status events
(connecting, streaming, disconnected, ...). Everything else (parsing, beat timing,
metrics, synchrony) runs again downstream, so a replay exercises the same code as
the live session and, given the same bytes and times, produces the same results.

Status events that the publisher itself derives from the bytes (contact lost,
contact restored, bad payload) are not replayed: the publisher derives them again.
Pacing follows the replay session's clock (its `speed`); event times stay the
original ones, so the review file's timeline equals the original's.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

from coregulate.acquisition.source import STATUS_ENDED, SourceEvent
from coregulate.bus.envelope import TOPIC_HRM, TOPIC_STATUS, topic_for
from coregulate.clock import SessionClock
from coregulate.recordings.store import read_messages

# Published by StrapPublisher from the notification bytes, not by the source.
_DERIVED_STATUSES = ("contact lost", "bad payload")


def recorded_events(path: str | os.PathLike[str], role: str) -> list[SourceEvent]:
    """Return one role's source events as recorded in a session file, in recorded order."""
    hrm, status = topic_for(TOPIC_HRM, role), topic_for(TOPIC_STATUS, role)
    events: list[SourceEvent] = []
    for msg in read_messages(path, (hrm, status)):
        if msg.topic == hrm:
            events.append(SourceEvent(role, msg.t_ns, data=msg.payload))
        elif msg.topic == status:
            body = dict(msg.json())
            word = str(body.pop("status", "unknown"))
            if word in _DERIVED_STATUSES or body.get("contact") == "restored":
                continue
            events.append(SourceEvent(role, msg.t_ns, status=word, detail=body))
    return events


class ReplayStrap:
    """One role's strap replayed from a session file, paced by `clock`.

    Parameters
    ----------
    path
        The recorded session file (opened read-only, never altered).
    role
        ``"client"`` or ``"therapist"``.
    clock
        The replay session's clock; its `speed` scales the original timing.
    from_s
        Start this many seconds into the recording (earlier events are skipped).
    """

    def __init__(
        self, path: str | os.PathLike[str], role: str, clock: SessionClock, from_s: float = 0.0
    ) -> None:
        self.role = role
        self.name = f"replay of {Path(path).name} ({role})"
        self._from_ns = int(from_s * 1e9)
        self._events = [e for e in recorded_events(path, role) if e.t_ns >= self._from_ns]
        self._clock = clock

    async def events(self) -> AsyncIterator[SourceEvent]:
        """Yield the recorded events at their original times (relative to `from_s`), scaled."""
        last_ns = self._from_ns
        ended = False
        for event in self._events:
            delay_s = self._clock.host_seconds_until(event.t_ns - self._from_ns)
            if delay_s > 0:
                await asyncio.sleep(delay_s)
            last_ns = event.t_ns
            ended = event.status == STATUS_ENDED
            yield event
        if not ended:
            yield SourceEvent(self.role, last_ns, status=STATUS_ENDED)
