"""A person's recorded beats: the `beat.<role>` messages and their beats as arrays.

The offline pipeline feeds the messages through the stages as they were on the bus;
the arrays serve whole-session numbers (RMSSD, artifacts, synchrony) and reports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from coregulate.bus.envelope import Message


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
    """Return one person's BeatSeries from `beat.<role>` messages (times shifted by `shift_ns`)."""
    t, rr, gap, art = [], [], [], []
    has_artifact = False
    for msg in messages:
        body = msg.json()
        n = len(body["rr_ms"])
        t.extend(int(x) + shift_ns for x in body["t_ns"])
        rr.extend(float(x) for x in body["rr_ms"])
        gap.extend([bool(body.get("gap_before"))] + [False] * (n - 1))
        if "artifact" in body:
            has_artifact = True
            art.extend(body["artifact"])
        else:
            art.extend([None] * n)
    if shift_ns:
        messages = [
            Message(m.topic, m.source, m.seq, m.t_ns + shift_ns, _shift_payload(m, shift_ns))
            for m in messages
        ]
    return BeatSeries(
        role,
        messages,
        np.asarray(t, dtype=np.int64),
        np.asarray(rr, dtype=float),
        np.asarray(gap, dtype=bool),
        np.asarray(art, dtype=object) if has_artifact else None,
    )


def _shift_payload(msg: Message, shift_ns: int) -> bytes:
    body = msg.json()
    body["t_ns"] = [int(x) + shift_ns for x in body["t_ns"]]
    return json.dumps(body, separators=(",", ":")).encode()
