"""Recorded straps as a `HeartRateSource`: a session file's raw notifications, re-timed.

Replay yields what a strap source yielded live: each `hrm.<role>` notification's
and `acc.<role>` accelerometer frame's exact bytes with its original arrival time
(or an LSL strap's recorded chunk, `lsl.<role>`), and the strap's own status events
(connecting, streaming, disconnected, ...). Everything else (parsing, beat timing,
metrics, synchrony) runs again downstream, so a replay exercises the same code as
the live session and, given the same bytes and times, produces the same results.

Status events that the publisher itself derives from the bytes (contact lost,
contact restored, bad payload) are not replayed: the publisher derives them again.
Pacing follows the replay session's clock (its `speed`); event times stay the
original ones, so the review file's timeline equals the original's. The straps of
one replay share a `ReplayOrder`, so both people's events reach the pipeline in
the order they were recorded, whatever the speed. A file of 3-6 people (its session
message's `people`) replays every person's strap.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import AsyncIterator
from pathlib import Path

from coregulate.acquisition.lsl_feed import TOPIC_LSL
from coregulate.acquisition.lsl_source import KIND_LSL_ECG, KIND_LSL_REFUSED, KIND_LSL_RR
from coregulate.acquisition.source import KIND_ECG, STATUS_ENDED, SourceEvent
from coregulate.bus.envelope import TOPIC_ACC, TOPIC_HRM, TOPIC_STATUS
from coregulate.clock import SessionClock
from coregulate.sessionfile.access import read_messages, read_session_payload
from coregulate.signal.people import keys_of, people_from_session

# Published by StrapPublisher from the notification bytes, not by the source.
_DERIVED_STATUSES = ("contact lost", "bad payload")


def recorded_events(path: str | os.PathLike[str], role: str) -> list[SourceEvent]:
    """Return one role's source events as recorded in a session file, in recorded order."""
    return [event for _, event in _recorded(path, role)]


def _recorded(path: str | os.PathLike[str], role: str) -> list[tuple[int, SourceEvent]]:
    """Return (position among every person's replayed events, event) for one role."""
    events: list[tuple[int, SourceEvent]] = []
    people = keys_of(people_from_session(read_session_payload(path)))  # old files: the dyad
    position = 0
    topics = (TOPIC_HRM + ".", TOPIC_STATUS + ".", TOPIC_LSL + ".", TOPIC_ACC + ".")
    for msg in read_messages(path, topics):
        kind, _, who = msg.topic.partition(".")
        if who not in people:
            continue  # a process's status (status.signal, ...), lsl.clock
        if kind == TOPIC_HRM:
            event = SourceEvent(who, msg.t_ns, data=msg.payload)
        elif kind == TOPIC_ACC:  # a PMD data frame: the publisher tells ACC from ECG
            event = SourceEvent(who, msg.t_ns, data=msg.payload, kind=KIND_ECG)
        elif kind == TOPIC_LSL:  # an LSL stream's chunk, as the LSL strap yielded it
            body = msg.json()
            lsl_kind = (
                KIND_LSL_RR
                if "beat_t_ns" in body
                else KIND_LSL_REFUSED
                if "error" in body
                else KIND_LSL_ECG
            )
            event = SourceEvent(who, msg.t_ns, data=msg.payload, kind=lsl_kind)
        else:
            body = dict(msg.json())
            word = str(body.pop("status", "unknown"))
            if "silent_s" in body:  # a silence tick (acquisition.process): time passing
                event = SourceEvent(who, msg.t_ns, detail={"silent_s": body["silent_s"]})
            elif word in _DERIVED_STATUSES or body.get("contact") == "restored":
                continue
            else:
                event = SourceEvent(who, msg.t_ns, status=word, detail=body)
        if who == role:
            events.append((position, event))
        position += 1
    return events


class ReplayOrder:
    """Makes the replayed straps publish in the recorded order, across all people.

    Live, the two straps' notifications reached the hub in some order; the stages
    that combine both people (synchrony) depend on it. Each strap waits for its
    turn (its event's position among all replayed events) as well as its time.
    """

    def __init__(self) -> None:
        self._next = 0
        self._changed: asyncio.Condition | None = None

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:  # created inside the running loop
            self._changed = asyncio.Condition()
        return self._changed

    async def wait_turn(self, position: int) -> None:
        """Return once every event before `position` has been published."""
        changed = self._condition()
        async with changed:
            await changed.wait_for(lambda: self._next >= position)

    async def done(self, position: int) -> None:
        """Record that the event at `position` has been published."""
        changed = self._condition()
        async with changed:
            self._next = max(self._next, position + 1)
            changed.notify_all()


@functools.lru_cache(maxsize=4)
def shared_order(path: str, from_s: float) -> ReplayOrder:
    """Return the one `ReplayOrder` that every strap replaying `path` in this process shares."""
    return ReplayOrder()


class ReplayStrap:
    """One role's strap replayed from a session file, paced by `clock`.

    Parameters
    ----------
    path
        The recorded session file (opened read-only, never altered).
    role
        The person's key (``"client"``, ``"therapist"``, ``"partner"``, ...).
    clock
        The replay session's clock; its `speed` scales the original timing.
    from_s
        Start this many seconds into the recording (earlier events are skipped).
    order
        Shared by the straps of one replay: they publish in the recorded order.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        role: str,
        clock: SessionClock,
        from_s: float = 0.0,
        order: ReplayOrder | None = None,
    ) -> None:
        self.role = role
        self.name = f"replay of {Path(path).name} ({role})"
        self._from_ns = int(from_s * 1e9)
        recorded = _recorded(path, role)
        # Positions count every replayed event, so skipped early ones are "done" at once.
        self._events = [(p, e) for p, e in recorded if e.t_ns >= self._from_ns]
        self._skipped = [p for p, e in recorded if e.t_ns < self._from_ns]
        self._clock = clock
        self._order = order

    async def events(self) -> AsyncIterator[SourceEvent]:
        """Yield the recorded events at their original times (relative to `from_s`), scaled."""
        last_ns = self._from_ns
        ended = False
        for position in self._skipped:  # the other strap must not wait for these
            if self._order is not None:
                await self._order.wait_turn(position)
                await self._order.done(position)
        for position, event in self._events:
            delay_s = self._clock.host_seconds_until(event.t_ns - self._from_ns)
            if delay_s > 0:
                await asyncio.sleep(delay_s)
            if self._order is not None:
                await self._order.wait_turn(position)
            last_ns = event.t_ns
            ended = event.status == STATUS_ENDED
            yield event
            if self._order is not None:
                await self._order.done(position)
        if not ended:
            yield SourceEvent(self.role, last_ns, status=STATUS_ENDED)
