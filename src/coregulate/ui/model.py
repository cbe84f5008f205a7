"""What a viewer knows about a session: everything it received, de-duplicated, in buffers.

No Qt here: the views read this model on their redraw timer, and tests feed it
messages directly. A message is identified by (source, topic, seq), so the same
message arriving twice (from the bus and from the session file when a viewer
backfills what it missed, or resent after a hub restart) is counted once.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

from coregulate.bus.envelope import EnvelopeError, Message
from coregulate.sessionfile.markers import MAX_KIND_CHARS, Marker, Markers
from coregulate.signal import catalogue
from coregulate.signal import people as ppl
from coregulate.signal.dyad import ROLES
from coregulate.ui.buffers import SeriesBuffer

log = logging.getLogger(__name__)

NS_PER_S = 1e9
# Each window's peak, and its chance band and verdict when the stage gives them
# (`above_chance` buffered as 1.0 or 0.0).
SYNC_COLUMNS = ("peak_r", "peak_z", "peak_lag_s", "r_lag0", "chance_abs_r95", "above_chance")
# The group index's newest value, its chance level and verdict, and how many pairs
# were above chance (`sync.group`, docs/protocol.md).
GROUP_COLUMNS = ("value", "chance_95", "above_chance", "n_coupled_pairs_above_chance")
# People buffered before (or beyond) the session's own list: a window that joins
# late may get a person's metrics before the session message names them.
MAX_BUFFERED_PEOPLE = 2 * ppl.MAX_PEOPLE
# Strap statuses during which there is no data: the lines break there.
GAP_STATUSES = ("disconnected", "contact lost", "reconnecting", "gave up", "no bluetooth")
# Two metrics updates further apart than this have a gap between them (no beats):
# a line is never drawn across it. Updates come about once a second.
MAX_STEP_S = 10.0


def metric_columns() -> tuple[str, ...]:
    """Return the metrics a viewer buffers: every metric of the catalogue, display order."""
    return tuple(m.name for m in catalogue.metrics())


@dataclass(slots=True)
class Person:
    """One person's buffered metrics and the newest of everything else."""

    metrics: SeriesBuffer = field(default_factory=lambda: SeriesBuffer(metric_columns()))
    latest: dict[str, Any] = field(default_factory=dict)  # newest metrics payload
    strap: dict[str, Any] = field(default_factory=dict)  # newest status.<role> payload
    strap_t_s: float = math.nan
    breath: dict[str, Any] = field(default_factory=dict)  # newest breath.<role> payload
    breath_t_s: float = math.nan

    def breath_age_s(self, now_s: float) -> float:
        """Return how old the newest breath payload is at `now_s` (inf without one)."""
        return math.inf if math.isnan(self.breath_t_s) else now_s - self.breath_t_s


@dataclass(slots=True)
class Sync:
    """Synchrony of one series (e.g. hr_bpm): windows over time and the newest summaries."""

    windows: SeriesBuffer = field(default_factory=lambda: SeriesBuffer(SYNC_COLUMNS))
    latest: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class GroupSync:
    """The group index of a 3+ person session over time and its newest payload."""

    windows: SeriesBuffer = field(default_factory=lambda: SeriesBuffer(GROUP_COLUMNS))
    latest: dict[str, Any] = field(default_factory=dict)


class SessionModel:
    """Everything one viewer has received of a session."""

    def __init__(self) -> None:
        # The session's people in order (`people_from_session`): the dyad until the
        # session message names others. `people` buffers each (and any not yet named).
        self.roster: tuple[ppl.Person, ...] = ppl.default_people()
        self.people = {role: Person() for role in ROLES}
        self.sync: dict[str, Sync] = {}  # the dyad's `sync`, by series
        # Each pair's synchrony in a 3+ person session (`sync.<a>.<b>`), by series.
        self.pair_sync: dict[tuple[str, str], dict[str, Sync]] = {}
        self.group = GroupSync()  # `sync.group`
        self.markers = Markers()
        self.ratings: list[tuple[float, dict[str, Any]]] = []  # (t_s, rating payload)
        self.session: dict[str, Any] = {}
        self.now_s = 0.0  # newest session time seen in any message
        self.ignored = 0  # messages that could not be read (logged)
        self.bus_lost = 0  # messages the viewer's subscription knows it missed
        self.version = 0  # changes with anything the views show
        self._seen: dict[tuple[str, str], set[int]] = {}

    def ingest(self, msg: Message) -> bool:
        """Take one message; return False if it was already known (same source, topic, seq)."""
        seen = self._seen.setdefault(msg.stream, set())
        if msg.seq in seen:
            return False
        seen.add(msg.seq)
        if msg.enc != "json":
            return True
        try:
            body = msg.json()
            if not isinstance(body, dict):
                raise EnvelopeError(f"{msg.topic}: payload is not a JSON object")
            self._apply(msg, body)
        except (EnvelopeError, TypeError, ValueError, KeyError) as exc:
            self.ignored += 1
            log.warning("ignored %s seq %d from %s: %s", msg.topic, msg.seq, msg.source, exc)
            return True
        self.now_s = max(self.now_s, msg.t_ns / NS_PER_S)
        self.version += 1
        return True

    def _apply(self, msg: Message, body: dict[str, Any]) -> None:
        kind, _, role = msg.topic.partition(".")
        t_s = msg.t_ns / NS_PER_S
        # A strap status never makes a person: `status.hub`, `status.supervisor` are none.
        person = self.people.get(role) if kind == "status" else None
        if kind in ("metrics", "breath"):
            person = self._person(role)
        if kind == "metrics" and person is not None:
            self._metrics(person, t_s, body)
        elif kind == "status" and person is not None:
            self._status(person, t_s, body)
        elif kind == "breath" and person is not None:
            if math.isnan(person.breath_t_s) or t_s >= person.breath_t_s:
                person.breath, person.breath_t_s = body, t_s
        elif kind == "sync":
            self._sync(msg.topic, t_s, body)
        elif kind == "marker" and not role:
            self._marker(msg, body)
        elif kind == "rating" and not role:
            self.ratings.append((t_s, body))
        elif kind == "session" and not role:
            try:
                roster = ppl.people_from_session(body)
            except ppl.PeopleError as exc:
                raise ValueError(str(exc)) from exc
            self.session = body
            self.roster = roster
            for p in roster:
                self.people.setdefault(p.key, Person())

    @property
    def keys(self) -> tuple[str, ...]:
        """Return the session's people's keys in session order (the dyad by default)."""
        return ppl.keys_of(self.roster)

    def is_default_dyad(self) -> bool:
        """Return whether the session is the two-person client/therapist session."""
        return ppl.is_default_dyad(self.roster)

    def is_group(self) -> bool:
        """Return whether the session has more than two people (pairs and a group index)."""
        return len(self.roster) > ppl.MIN_PEOPLE

    def pair(self, a: str, b: str, series: str = "hr_bpm") -> Sync | None:
        """Return the synchrony of pair (a, b) so far (the dyad's `sync` in a dyad), or None."""
        if not self.is_group() and (a, b) == self.keys:
            return self.sync.get(series)
        return self.pair_sync.get((a, b), {}).get(series)

    def _person(self, key: str) -> Person | None:
        """Return the buffers of person `key`, made on first sight; None for no person."""
        person = self.people.get(key)
        if person is None and len(self.people) < MAX_BUFFERED_PEOPLE and ppl.KEY_RE.match(key):
            person = self.people[key] = Person()
        return person

    def _sync(self, topic: str, t_s: float, body: dict[str, Any]) -> None:
        if topic == ppl.SYNC_GROUP_TOPIC:
            if body.get("final"):  # the session's end: its last step again, with a summary
                self.group.latest = body
                return
            row = {k: _num(body.get(k)) for k in GROUP_COLUMNS}
            verdict = body.get("above_chance")
            row["above_chance"] = float(verdict) if isinstance(verdict, bool) else None
            self.group.windows.append(t_s, row)
            self.group.latest = body
            return
        if topic == "sync":
            by_series = self.sync
        else:
            _, a, b = [*topic.split("."), "", ""][:3]
            pair = (a, b)
            if topic != f"sync.{a}.{b}" or not all(ppl.KEY_RE.match(k) for k in pair):
                raise ValueError(f"{topic}: not a synchrony topic (sync, sync.<a>.<b>)")
            if pair not in self.pair_sync and len(self.pair_sync) >= MAX_BUFFERED_PEOPLE**2:
                raise ValueError(f"{topic}: more pairs than a session has")
            by_series = self.pair_sync.setdefault(pair, {})
        sync = by_series.setdefault(str(body.get("series", "hr_bpm")), Sync())
        window = body.get("window") or {}
        row = {k: _num(window.get(k)) for k in SYNC_COLUMNS}
        verdict = window.get("above_chance")
        row["above_chance"] = float(verdict) if isinstance(verdict, bool) else None
        sync.windows.append(t_s, row)
        sync.latest = body

    def _metrics(self, person: Person, t_s: float, body: dict[str, Any]) -> None:
        buf = person.metrics
        if len(buf) and t_s - buf.t_s[-1] > MAX_STEP_S:
            buf.append(buf.t_s[-1] + 1e-3, {})  # no beats in between: break the line
        buf.append(t_s, {k: _num(body.get(k)) for k in buf.columns})
        if not person.latest or t_s >= person.latest.get("_t_s", -math.inf):
            person.latest = {**body, "_t_s": t_s}

    def _status(self, person: Person, t_s: float, body: dict[str, Any]) -> None:
        if math.isnan(person.strap_t_s) or t_s >= person.strap_t_s:
            person.strap, person.strap_t_s = body, t_s
        if body.get("status") in GAP_STATUSES:
            person.metrics.append(t_s, {})  # all NaN: the lines break here

    def _marker(self, msg: Message, body: dict[str, Any]) -> None:
        if "id" not in body:  # the window's markers all carry one
            raise ValueError("a marker without an id")
        # Any named kind: a clinic may mark its own (ui.markers.load_marker_kinds).
        kind = body.get("kind")
        if not isinstance(kind, str) or not kind or len(kind) > MAX_KIND_CHARS:
            raise ValueError(f"a marker kind must be a short name, got {kind!r}")
        self.markers.add(body, msg.t_ns, msg.source)

    def visible_markers(self) -> list[Marker]:
        """Return the markers not retracted, oldest first."""
        return sorted(self.markers.standing(), key=lambda m: m.t_s)

    def knows(self, source: str, topic: str, seq: int) -> bool:
        """Return True if this message was already taken."""
        return seq in self._seen.get((source, topic), ())

    def count(self) -> int:
        """Return how many distinct messages were taken."""
        return sum(len(s) for s in self._seen.values())


def _num(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
