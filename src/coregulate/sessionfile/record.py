"""One session file read into a typed `SessionRecord`: the one reader every room uses.

`read_session(path)` reads everything in one pass over the raw log; `parts` reads
only what a caller needs (the offline pipeline reads only the beats), so a fast
path stays fast. Markers come out with withdrawals applied (`sessionfile.markers`);
everything else is as recorded. What each topic means: docs/protocol.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from coregulate.bus.envelope import DecodedMessage, EnvelopeError, Message
from coregulate.sessionfile.access import iter_messages, meta_of, open_readonly
from coregulate.sessionfile.beats import BeatSeries, read_beat_messages
from coregulate.sessionfile.catalog import derived_of
from coregulate.sessionfile.markers import Marker, Markers

# The parts of a session a caller may ask for, and the topic prefixes each reads.
PART_TOPICS: dict[str, tuple[str, ...]] = {
    "info": ("session",),
    "beats": ("beat.",),
    "hr": ("hr.",),
    "metrics": ("metrics.",),
    "synchrony": ("sync",),
    "markers": ("marker",),
    "ratings": ("rating",),
    "status": ("status.",),
}
PARTS = tuple(PART_TOPICS)


class Event(NamedTuple):
    """One recorded JSON message: its session time (ns), its sender and its payload."""

    t_ns: int
    source: str
    payload: Any


@dataclass
class SessionRecord:
    """What one session file holds, by kind (each empty when not read or not recorded).

    `beats`, `hr`, `metrics` and `status` are per role (``status`` per subject:
    a role or a process); `metrics` are the payloads (each with its `t_ns`);
    `synchrony` the `sync` messages; `markers` those that stand; `lost_messages`
    and `end_ns` are over the messages read (the whole file when every part is).
    """

    path: Path
    info: dict[str, Any] = field(default_factory=dict)  # the first `session` payload
    meta: dict[str, Any] = field(default_factory=dict)  # the file's metadata table
    beats: dict[str, BeatSeries] = field(default_factory=dict)
    hr: dict[str, list[Event]] = field(default_factory=dict)
    metrics: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    synchrony: list[Event] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    ratings: list[Event] = field(default_factory=list)
    status: dict[str, list[Event]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # what was left out, and why
    lost_messages: int = 0  # seq numbers missing inside a stream
    unreadable: int = 0  # messages left out: a payload that does not parse, or a beat far off
    end_ns: int = 0  # the latest message time

    @property
    def client_id(self) -> str:
        """Return the pseudonymous client id (or "unknown")."""
        return str(self.info.get("client_id") or "unknown")

    @property
    def wall_anchor_ns(self) -> int | None:
        """Return the calendar time of session time 0 (ns since the epoch), if recorded."""
        value = (self.info.get("clock") or {}).get("wall_anchor_ns")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def derived(self) -> dict[str, Any] | None:
        """Return what this file was derived from (replay, import, ...), None for a session."""
        return derived_of(self.info, self.meta)

    def devices(self) -> dict[str, list[tuple[str, str | None]]]:
        """Return each role's straps (name, address), in the order they first reported."""
        out: dict[str, list[tuple[str, str | None]]] = {}
        for role, events in self.status.items():
            for e in events:
                name = e.payload.get("name") if isinstance(e.payload, dict) else None
                if name is not None:
                    device = (name, e.payload.get("address"))
                    if device not in out.setdefault(role, []):
                        out[role].append(device)
        return out


def read_session(
    path: str | os.PathLike[str],
    parts: Iterable[str] | None = None,
    roles: Iterable[str] | None = None,
) -> SessionRecord:
    """Return the SessionRecord of a file (raises SessionFileError if it cannot be read).

    `parts` (names in `PARTS`) reads only those, e.g. ``{"beats"}``; None reads all.
    `roles` keeps only those roles' beats. A message whose payload does not parse
    (or a beat message of the wrong shape, or far from the session's time) is left
    out, counted in `unreadable` and named in `problems`, as is a marker without a kind.
    """
    wanted = set(PARTS if parts is None else parts)
    unknown = wanted - set(PARTS)
    if unknown:
        raise ValueError(f"unknown session parts {sorted(unknown)}; choose from {PARTS}")
    topics = None if parts is None else [t for p in wanted for t in PART_TOPICS[p]]
    record = SessionRecord(Path(path))
    db = open_readonly(path)
    try:
        if "info" in wanted:
            record.meta = meta_of(db)
        beat_messages = _read(record, iter_messages(db, topics), wanted)
    finally:
        db.close()
    keep = None if roles is None else set(roles)
    unreadable_beats = 0
    for role, msgs in beat_messages.items():
        if keep is None or role in keep:
            series, skipped = read_beat_messages(role, msgs)
            record.beats[role] = series
            unreadable_beats += skipped
    if unreadable_beats:
        record.problems.append(
            f"{unreadable_beats} beat messages of the wrong shape or far from the "
            "session's time were left out"
        )
    if record.unreadable:
        record.problems.append(
            f"{record.unreadable} messages whose payload does not parse were left out"
        )
    record.unreadable += unreadable_beats
    return record


def _read(
    record: SessionRecord, messages: Iterable[Message], wanted: set[str]
) -> dict[str, list[Message]]:
    """Fill `record` from `messages`; return the beat messages by role (decoded later)."""
    beats: dict[str, list[Message]] = {}
    markers = Markers()
    streams: dict[tuple[str, str], tuple[int, int]] = {}  # (count, highest seq)
    for msg in messages:
        count, top = streams.get(msg.stream, (0, 0))
        streams[msg.stream] = (count + 1, max(top, msg.seq))
        record.end_ns = max(record.end_ns, msg.t_ns)
        if msg.enc != "json":
            continue
        kind, _, role = msg.topic.partition(".")
        if kind != "beat":  # beats are decoded (and checked) once, by read_beat_messages
            try:
                msg = DecodedMessage(
                    msg.topic, msg.source, msg.seq, msg.t_ns, msg.payload, msg.enc, body=msg.json()
                )
            except EnvelopeError:
                record.unreadable += 1
                continue
        if kind == "beat" and role and "beats" in wanted:
            beats.setdefault(role, []).append(msg)
        elif kind == "session" and not role and not record.info and "info" in wanted:
            record.info = dict(msg.json())
        elif kind == "metrics" and role and "metrics" in wanted:
            record.metrics.setdefault(role, []).append(msg.json())
        elif kind in ("hr", "status") and role and ("hr" if kind == "hr" else "status") in wanted:
            target = record.hr if kind == "hr" else record.status
            target.setdefault(role, []).append(Event(msg.t_ns, msg.source, msg.json()))
        elif msg.topic == "sync" and "synchrony" in wanted:
            record.synchrony.append(Event(msg.t_ns, msg.source, msg.json()))
        elif kind == "marker" and "markers" in wanted:
            payload = msg.json()
            try:
                markers.add(payload, msg.t_ns, msg.source)
            except ValueError:
                record.problems.append(f"marker at {msg.t_ns / 1e9:.0f} s has no kind; left out")
        elif kind == "rating" and "ratings" in wanted:
            record.ratings.append(Event(msg.t_ns, msg.source, msg.json()))
    record.markers = markers.standing()
    record.lost_messages = sum(top - n for n, top in streams.values() if top > n)
    return beats
