"""A session's LSL outlets: which streams, their XDF metadata, and what each bus message pushes.

Streams (docs/lsl.md has the table): per person ``coregulate-<role>-rr`` (type
``RR``, one channel ``rr_ms``, one sample per beat stamped at the beat),
``coregulate-<role>-hr`` (``HR``, ``hr_bpm`` = 60000 / RR, same stamps) and
``coregulate-<role>-metrics`` (every metric of the catalogue, units in the
``desc``), then ``coregulate-sync`` (peak r, peak lag and above-chance of each
synchronised series; in a session of 3-6 people one ``coregulate-sync-<a>.<b>`` per
pair, lag > 0 = b leads, and ``coregulate-sync-group`` with the group index) and
``coregulate-markers`` (``Markers``, one JSON string per
marker, withdrawal or rating as recorded). All are irregular-rate, stamped on the
LSL clock through `ClockMap`; a value that is missing is NaN.

Each stream's ``source_id`` is built from the dyad's pseudonymous ids and the
stream's name only, so a restarted bridge or a restarted session of the same dyad
offers the same ids and LabRecorder picks the streams up again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from coregulate.acquisition.lsl import ClockMap
from coregulate.bus.envelope import TOPIC_BEAT, TOPIC_MARKER, TOPIC_METRICS, TOPIC_RATING, Message
from coregulate.signal import catalogue
from coregulate.signal.dyad import ROLES
from coregulate.signal.people import (
    SYNC_GROUP_TOPIC,
    keys_of,
    pairs,
    people_from_session,
    sync_topic,
)
from coregulate.stages.sync_stage import SLOW_SERIES

log = logging.getLogger(__name__)

SYNC_SERIES = ("hr_bpm", *SLOW_SERIES)
# (channel suffix, unit, key in the sync message's `window`); `chance_abs_r95` is the
# window's chance band (docs/synchrony.md), NaN until the sync stage gives one.
SYNC_FIELDS = (
    ("peak_r", "r", "peak_r"),
    ("peak_lag_s", "s", "peak_lag_s"),
    ("chance_abs_r95", "r", "chance_abs_r95"),
)
# The group index's channels (`sync.group`, docs/protocol.md): its value, its 95 %
# chance level and whether the window is above it.
GROUP_FIELDS = (("value", "index"), ("chance_95", "index"), ("above_chance", "bool"))
MARKERS_SOURCE_FROM_LSL = "lsl"  # markers the bridge took from LSL are not sent back out


@dataclass(frozen=True, slots=True)
class StreamDef:
    """One outlet: name, type, channels as (label, unit), and the person it describes."""

    name: str
    type: str
    channels: tuple[tuple[str, str], ...]
    role: str | None = None
    fmt: str = "double64"


def stream_defs(people: tuple[str, ...] = ROLES) -> tuple[StreamDef, ...]:
    """Return every outlet a session of `people` (keys; the dyad's by default) offers, in order.

    Each person has their RR, HR and metrics outlets; then the synchrony outlets of
    `sync_outlets` (a dyad's one `coregulate-sync`, a group's pairs and group).
    """
    defs: list[StreamDef] = []
    for role in people:
        defs.append(StreamDef(f"coregulate-{role}-rr", "RR", (("rr_ms", "ms"),), role))
        defs.append(StreamDef(f"coregulate-{role}-hr", "HR", (("hr_bpm", "bpm"),), role))
        chans = tuple((m.name, m.unit) for m in catalogue.metrics())
        defs.append(StreamDef(f"coregulate-{role}-metrics", "HRV", chans, role))
    sync = [(f"{s}_{label}", unit) for s in SYNC_SERIES for label, unit, _ in SYNC_FIELDS]
    sync += [(f"{s}_above_chance", "bool") for s in SYNC_SERIES]
    for topic, name in sync_outlets(people).items():
        channels = GROUP_FIELDS if topic == SYNC_GROUP_TOPIC else tuple(sync)
        defs.append(StreamDef(name, "Synchrony", channels))
    defs.append(StreamDef("coregulate-markers", "Markers", (("event", "json"),), fmt="string"))
    return tuple(defs)


def sync_outlets(people: tuple[str, ...]) -> dict[str, str]:
    """Return the synchrony outlets of a session, keyed by the topic that feeds each.

    A dyad: `sync` -> ``coregulate-sync``. A group: every pair's `sync.<a>.<b>` ->
    ``coregulate-sync-<a>.<b>`` (`sync_stream`) and `sync.group` -> ``coregulate-sync-group``.
    """
    if len(people) == len(ROLES):
        return {sync_topic(*ROLES, len(ROLES)): "coregulate-sync"}
    outlets = {sync_topic(a, b, len(people)): sync_stream(a, b) for a, b in pairs(people)}
    outlets[SYNC_GROUP_TOPIC] = "coregulate-sync-group"
    return outlets


def sync_stream(a: str, b: str) -> str:
    """Return the outlet name of pair (a, b)'s synchrony in a group session."""
    return f"coregulate-sync-{a}.{b}"


def source_id(meta: Mapping[str, Any], stream: str) -> str:
    """Return the stable ``source_id`` of `stream` for this dyad (pseudonymous ids only)."""
    dyad = f"{meta.get('client_id', '')}\0{meta.get('therapist_id', '')}".encode()
    return f"{stream}@{hashlib.sha256(dyad).hexdigest()[:12]}"


def _append_tree(node: Any, key: str, value: Any) -> None:
    """Write `value` under `node` as XML children (dicts nest, lists repeat the key)."""
    if isinstance(value, Mapping):
        child = node.append_child(key)
        for k, v in value.items():
            _append_tree(child, str(k), v)
    elif isinstance(value, list | tuple):
        child = node.append_child(key)
        for v in value:
            _append_tree(child, "item", v)
    else:
        node.append_child_value(key, "" if value is None else str(value))


def stream_info(pylsl: Any, d: StreamDef, meta: Mapping[str, Any]) -> Any:
    """Return the pylsl StreamInfo of `d`, with XDF-style ``desc`` metadata."""
    info = pylsl.StreamInfo(
        d.name, d.type, len(d.channels), pylsl.IRREGULAR_RATE, d.fmt, source_id(meta, d.name)
    )
    desc = info.desc()
    channels = desc.append_child("channels")
    for label, unit in d.channels:
        ch = channels.append_child("channel")
        ch.append_child_value("label", label)
        ch.append_child_value("unit", unit)
        ch.append_child_value("type", d.type)
    acq = desc.append_child("acquisition")
    acq.append_child_value("manufacturer", "coregulate")
    acq.append_child_value("software", str(meta.get("software", "coregulate")))
    session = desc.append_child("coregulate")
    if d.role is not None:
        session.append_child_value("role", d.role)
        ids = {p.key: p.id for p in people_from_session(meta)}
        session.append_child_value("person_id", str(meta.get(f"{d.role}_id", ids.get(d.role, ""))))
    for key in ("client_id", "therapist_id", "mode", "seed", "speed", "baseline_s"):
        session.append_child_value(key, str(meta.get(key, "")))
    _append_tree(session, "parameters", meta.get("parameters", {}))
    return info


def _num(value: Any) -> float:
    """Return `value` as a float sample value; None, bools and non-numbers become NaN."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)


class SessionOutlets:
    """The open outlets of one session; `push(msg)` turns one bus message into samples."""

    def __init__(self, pylsl: Any, meta: Mapping[str, Any]) -> None:
        self.people = keys_of(people_from_session(meta))  # the dyad unless meta names others
        self.defs = {d.name: d for d in stream_defs(self.people)}
        self.outlets = {
            name: pylsl.StreamOutlet(stream_info(pylsl, d, meta)) for name, d in self.defs.items()
        }
        self.samples = dict.fromkeys(self.defs, 0)
        self.sync_names = sync_outlets(self.people)  # topic -> its outlet
        self.skipped = 0  # messages whose payload could not be read

    def push(self, msg: Message, clock: ClockMap) -> int:
        """Push the samples `msg` carries; return how many (a bad payload is skipped, counted)."""
        kind = msg.topic.partition(".")[0]
        try:
            body = msg.json()
            if kind == TOPIC_BEAT:
                return self._beats(msg.role, body, clock)
            if kind == TOPIC_METRICS:
                return self._metrics(msg.role, body, clock)
            if msg.topic in self.sync_names and msg.topic == SYNC_GROUP_TOPIC:
                return self._group(body, clock)
            if msg.topic in self.sync_names:
                return self._sync(self.sync_names[msg.topic], body, clock)
            if kind in (TOPIC_MARKER, TOPIC_RATING) and not msg.source.startswith(
                MARKERS_SOURCE_FROM_LSL
            ):
                return self._marker(kind, body, msg.t_ns, clock)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            self.skipped += 1
            if self.skipped == 1:
                log.warning("LSL: %s seq %d not streamed (%s)", msg.topic, msg.seq, exc)
        return 0

    def _send(self, name: str, values: list[Any], lsl_s: float) -> int:
        self.outlets[name].push_sample(values, lsl_s)
        self.samples[name] += 1
        return 1

    def _beats(self, role: str | None, body: dict, clock: ClockMap) -> int:
        if role not in self.people:
            return 0
        n = 0
        for t_ns, rr_ms in zip(body["t_ns"], body["rr_ms"], strict=True):
            lsl_s = clock.lsl_s(t_ns)
            n += self._send(f"coregulate-{role}-rr", [float(rr_ms)], lsl_s)
            self._send(f"coregulate-{role}-hr", [60000.0 / float(rr_ms)], lsl_s)
        return n

    def _metrics(self, role: str | None, body: dict, clock: ClockMap) -> int:
        if role not in self.people or body.get("t_ns") is None:
            return 0
        values = [_num(body.get(m.name)) for m in catalogue.metrics()]
        return self._send(f"coregulate-{role}-metrics", values, clock.lsl_s(body["t_ns"]))

    def _group(self, body: dict, clock: ClockMap) -> int:
        if body.get("final") or body.get("t_ns") is None:
            return 0
        above = body.get("above_chance")
        values = [_num(body.get("value")), _num(body.get("chance_95"))]
        values.append(math.nan if above is None else float(bool(above)))
        return self._send("coregulate-sync-group", values, clock.lsl_s(body["t_ns"]))

    def _sync(self, name: str, body: dict, clock: ClockMap) -> int:
        series, window = body.get("series"), body.get("window")
        if body.get("final") or series not in SYNC_SERIES or body.get("t_ns") is None:
            return 0  # the final message repeats the last step
        values = []
        for s in SYNC_SERIES:
            w = window if s == series and isinstance(window, dict) else {}
            values += [_num(w.get(key)) for _, _, key in SYNC_FIELDS]
        for s in SYNC_SERIES:
            w = window if s == series and isinstance(window, dict) else {}
            above = w.get("above_chance")
            values.append(math.nan if above is None else float(bool(above)))
        return self._send(name, values, clock.lsl_s(body["t_ns"]))

    def _marker(self, kind: str, body: dict, t_ns: int, clock: ClockMap) -> int:
        if kind == TOPIC_RATING:
            event = {
                "event": "rating",
                "instrument": body.get("instrument"),
                "total": body.get("total"),
                "subscales": body.get("subscales"),
            }
        elif body.get("kind") == "retraction":
            event = {"event": "withdrawal", "retracts": body.get("retracts")}
        else:
            event = {"event": "marker", "kind": body.get("kind"), "id": body.get("id")}
            event["note"] = body.get("text", body.get("note", ""))
        at_ns = body.get("t_ns") if isinstance(body.get("t_ns"), int) else t_ns
        text = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        return self._send("coregulate-markers", [text], clock.lsl_s(at_ns))
