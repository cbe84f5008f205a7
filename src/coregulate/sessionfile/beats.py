"""A person's recorded beats: the `beat.<role>` messages and their beats as arrays.

The offline pipeline feeds the messages through the stages as they were on the bus;
the arrays serve whole-session numbers (RMSSD, artifacts, synchrony) and reports.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

import numpy as np

from coregulate.bus.envelope import DecodedMessage, EnvelopeError, Message
from coregulate.signal.dyad import beat_time_plausible


@dataclass
class BeatSeries:
    """One person's beats: the recorded messages and their beats flattened to arrays."""

    role: str
    messages: list[Message]
    t_ns: np.ndarray
    rr_ms: np.ndarray
    gap_before: np.ndarray
    artifact: np.ndarray | None = None  # per-beat artifact class when the file has it


def beats_from_messages(role: str, messages: list[Message], shift_ns: int = 0) -> BeatSeries:
    """Return one person's BeatSeries from `beat.<role>` messages (times shifted by `shift_ns`).

    Each payload is decoded once; the series keeps the decoded messages. A message
    that does not parse, has the wrong shape or lies far from the session's time is
    left out (`read_beat_messages` also says how many).
    """
    return read_beat_messages(role, messages, shift_ns)[0]


def _beat_body(msg: Message, newest_ns: int | None) -> dict | None:
    """Return a beat message's payload if it is usable, else None."""
    try:
        body = msg.json()
        times, rr = body["t_ns"], body["rr_ms"]
        if not isinstance(times, list) or not isinstance(rr, list) or len(times) != len(rr):
            return None
        times_ns = [int(x) for x in times] + [msg.t_ns]  # with the header's, the stages' time
        for x in rr:
            float(x)
    except (EnvelopeError, KeyError, TypeError, ValueError, OverflowError):
        return None
    if not all(beat_time_plausible(x, newest_ns) for x in times_ns):
        return None
    return body


def read_beat_messages(
    role: str, messages: list[Message], shift_ns: int = 0
) -> tuple[BeatSeries, int]:
    """Return one person's BeatSeries and how many of the messages were left out."""
    t, rr, gap, art, decoded = [], [], [], [], []
    has_artifact = False
    skipped = 0
    newest_ns: int | None = None
    for msg in messages:
        body = _beat_body(msg, newest_ns)
        if body is None:
            skipped += 1
            continue
        decoded.append(
            DecodedMessage(
                msg.topic, msg.source, msg.seq, msg.t_ns, msg.payload, msg.enc, body=body
            )
        )
        n = len(body["rr_ms"])
        t.extend(int(x) for x in body["t_ns"])
        rr.extend(float(x) for x in body["rr_ms"])
        if n:
            newest_ns = max(t[-n:]) if newest_ns is None else max(newest_ns, *t[-n:])
        gap.extend([bool(body.get("gap_before"))] + [False] * (n - 1))
        if "artifact" in body:
            has_artifact = True
            art.extend(body["artifact"])
        else:
            art.extend([None] * n)
    series = BeatSeries(
        role,
        decoded,
        np.asarray(t, dtype=np.int64),
        np.asarray(rr, dtype=float),
        np.asarray(gap, dtype=bool),
        np.asarray(art, dtype=object) if has_artifact else None,
    )
    return (as_role(series, role, shift_ns) if shift_ns else series), skipped


# `json.dumps(body, separators=(",", ":"))` without building an encoder per beat.
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def as_role(series: BeatSeries, role: str, shift_ns: int = 0) -> BeatSeries:
    """Return `series` as `role`'s beats (topic ``beat.<role>``), every time shifted by `shift_ns`.

    For a pair of single-person files: a file's only person becomes the client or the
    therapist, and the therapist's times move onto the client's clock.
    """
    topic = f"beat.{role}"
    messages = []
    for m in series.messages:
        body, payload = m.json(), m.payload
        if shift_ns:
            body = {**body, "t_ns": [int(x) + shift_ns for x in body["t_ns"]]}
            payload = _COMPACT.encode(body).encode()
        messages.append(
            DecodedMessage(topic, m.source, m.seq, m.t_ns + shift_ns, payload, m.enc, body=body)
        )
    return dataclasses.replace(series, role=role, messages=messages, t_ns=series.t_ns + shift_ns)
