"""What the hub checks of a payload before it stores or publishes it (docs/protocol.md).

The envelope (`envelope.decode_frames`) is only the wrapping; this is the content:
a JSON payload parses (no NaN, no nesting bomb), is bounded in size, carries times a
session can hold, names only the session's declared people, and does not pretend to
be the hub or the session. Each broken rule is an `EnvelopeError` whose `kind` is one
of `PAYLOAD_REJECT_KINDS`, so the hub counts it beside the envelope's own kinds.
"""

from __future__ import annotations

import json
from typing import Any, Final

from coregulate.bus.envelope import (
    TOPIC_ACC,
    TOPIC_BEAT,
    TOPIC_BREATH,
    TOPIC_ECG,
    TOPIC_HRM,
    TOPIC_METRICS,
    TOPIC_SESSION,
    TOPIC_STATUS,
    EnvelopeError,
    Message,
)
from coregulate.signal.dyad import ROLES, SESSION_T_LIMIT_NS

# What a payload check can refuse (the hub also counts the envelope's REJECT_KINDS).
PAYLOAD_REJECT_KINDS: Final = (
    "payload_json",  # a JSON payload that does not parse (or holds NaN/Infinity)
    "payload",  # parses, but not the shape its topic has
    "time",  # a time outside what the session can hold
    "role",  # a person who is not one of the session's declared people
    "size",  # more than its topic may carry
    "streams",  # a source with more streams than any producer has
    "reserved",  # a topic only the hub or the session itself may send
    "owner",  # new seqs of a stream another producer owns (counted by the hub)
    "memory",  # the hub's input reset: a message whose frames never end (hub_guard.py)
)
# Topics whose suffix is a person: `beat.client`, never `beat.x123`.
PERSON_KINDS: Final = frozenset(
    {TOPIC_BEAT, TOPIC_HRM, TOPIC_ECG, TOPIC_ACC, TOPIC_BREATH, TOPIC_METRICS, "hr"}
)
CONTROL_BASELINE: Final = "control.baseline"
MAX_JSON_PAYLOAD_BYTES: Final = 256 * 1024  # a session message is a few kB, a sync ~2 kB
MAX_BEATS_PER_MESSAGE: Final = 256  # a strap notification holds at most ~9 RR values
# The acquisition process has 6 kinds (hrm, beat, status, ecg, acc, lsl) x up to 6
# people (+ its own status): 37; the sync stage 15 pairs + the group. 64 leaves room.
MAX_STREAMS_PER_SOURCE: Final = 64


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(payload: bytes) -> Any:
    """Return a JSON payload decoded; raise EnvelopeError("payload_json") if it is not JSON."""
    try:
        return json.loads(payload, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise EnvelopeError(f"payload is not valid JSON: {exc}", "payload_json") from exc


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_time(t_ns: object, max_t_ns: int | None, what: str) -> None:
    if not _is_int(t_ns):
        raise EnvelopeError(f"{what} is {t_ns!r}, not an integer of ns", "time")
    high = SESSION_T_LIMIT_NS if max_t_ns is None else min(SESSION_T_LIMIT_NS, max_t_ns)
    if not -SESSION_T_LIMIT_NS <= t_ns <= high:  # type: ignore[operator]
        raise EnvelopeError(f"{what} {t_ns} ns is outside the session's time", "time")


def check_payload(
    msg: Message, max_t_ns: int | None = None, people: tuple[str, ...] = ROLES
) -> None:
    """Raise EnvelopeError (kind in PAYLOAD_REJECT_KINDS) unless `msg` may be recorded.

    `max_t_ns` is the latest session time the hub can believe now (its clock plus
    slack), None before it knows the session's clock: then only the static bound holds.
    `people` are the keys of the session's people (the dyad's unless the session
    message names others: `signal.people`); topics of anyone else are refused.
    """
    topic, source = msg.topic, msg.source
    if topic == f"{TOPIC_STATUS}.hub" or (topic == TOPIC_SESSION and source != TOPIC_SESSION):
        raise EnvelopeError(
            f"{topic} from {source!r}: only the hub or session sends it", "reserved"
        )
    kind, _, suffix = topic.partition(".")
    if kind in PERSON_KINDS and suffix not in people:
        raise EnvelopeError(f"{topic}: the session's people are {people}", "role")
    _check_time(msg.t_ns, max_t_ns, "header t_ns")
    if msg.enc != "json":
        return
    if len(msg.payload) > MAX_JSON_PAYLOAD_BYTES:
        raise EnvelopeError(f"JSON payload above {MAX_JSON_PAYLOAD_BYTES} bytes", "size")
    body = parse_json(msg.payload)
    if kind == TOPIC_BEAT:
        _check_beats(body, max_t_ns)
    elif isinstance(body, dict):
        if "t_ns" in body and body["t_ns"] is not None:
            _check_time(body["t_ns"], max_t_ns, "payload t_ns")
        role = body.get("role")
        if topic == CONTROL_BASELINE and role is not None and role not in people:
            raise EnvelopeError(f"control for {body['role']!r}: not a person", "role")


def _check_beats(body: Any, max_t_ns: int | None) -> None:
    if not isinstance(body, dict):
        raise EnvelopeError("a beat payload is a JSON object", "payload")
    times, rr = body.get("t_ns"), body.get("rr_ms")
    if times is None and rr is None:
        return  # nothing a stage would use (stages skip it as malformed)
    if not isinstance(times, list) or not isinstance(rr, list) or len(times) != len(rr):
        raise EnvelopeError("beat t_ns and rr_ms are lists of one length", "payload")
    if len(times) > MAX_BEATS_PER_MESSAGE:
        raise EnvelopeError(f"{len(times)} beats in one message", "size")
    for t in times:
        _check_time(t, max_t_ns, "beat time")
    if not all(isinstance(r, int | float) and not isinstance(r, bool) for r in rr):
        raise EnvelopeError("rr_ms holds something other than numbers", "payload")
