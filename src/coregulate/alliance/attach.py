"""Attach rating entry to a running session from its file: its endpoints, clock and client.

A running session's file starts with its `session` message (hub endpoints, clock
anchor, pseudonymous client id), so a second screen or a tablet on the same machine
can add ratings with the file's name alone. Ratings go to the running hub, never
into a finished recording: the hub must acknowledge a `status.rating` message
before any form is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from coregulate.bus.producer import BusProducer, sender_source
from coregulate.clock import SessionClock
from coregulate.sessionfile.access import SessionFileError, read_messages
from coregulate.signal.dyad import ROLES
from coregulate.signal.people import PeopleError, keys_of, people_from_session

RATING_SOURCE = "rating"  # each sender is `rating-<8 hex>` (bus.producer.sender_source)


class AttachError(Exception):
    """The session cannot take ratings now; the text says why and what to do."""


@dataclass(frozen=True, slots=True)
class RunningSession:
    """What rating entry needs from a running session."""

    path: Path
    input_endpoint: str
    clock: SessionClock
    client_id: str
    people: tuple[str, ...] = ROLES  # the session's people's keys (signal/people.py)


def running_session(path: Path) -> RunningSession:
    """Return the running session recorded in `path`, read from its `session` message."""
    try:
        first = next((m for m in read_messages(path, ("session",)) if m.topic == "session"), None)
    except SessionFileError as exc:
        raise AttachError(str(exc)) from exc
    if first is None:
        raise AttachError(f"{path} has no session message yet; wait until the session has started")
    info = first.json()
    try:
        endpoints = info["endpoints"]
        clock = SessionClock(**info["clock"])
    except (KeyError, TypeError, ValueError) as exc:
        raise AttachError(f"{path}: its session message lacks endpoints or clock ({exc})") from exc
    try:
        keys = keys_of(people_from_session(info))
    except PeopleError as exc:
        raise AttachError(f"{path}: {exc}") from exc
    return RunningSession(path, str(endpoints[0]), clock, str(info.get("client_id") or ""), keys)


def connect(session: RunningSession, timeout_s: float = 5.0) -> BusProducer:
    """Return a producer to the session's hub, once the hub has confirmed it is running."""
    producer = BusProducer(session.input_endpoint, sender_source(RATING_SOURCE))
    producer.send("status.rating", {"status": "form open"}, session.clock.now_ns())
    if not producer.flush(timeout_s=timeout_s):
        producer.close()
        raise AttachError(
            f"the session in {session.path} is not running (its hub did not answer within "
            f"{timeout_s:g} s); ratings are added during a session, never to a finished recording"
        )
    return producer
