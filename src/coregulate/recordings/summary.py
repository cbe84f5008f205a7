"""A per-person summary of a session file, and a check that no message is missing."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from coregulate.bus.envelope import TOPIC_BEAT, TOPIC_HRM, TOPIC_METRICS
from coregulate.sessionfile.access import open_readonly, read_messages


@dataclass
class PersonSummary:
    """What one person's strap delivered and what the metrics stage made of it."""

    role: str
    notifications: int = 0
    beats: int = 0
    mean_hr_bpm: float = math.nan
    median_rmssd_ms: float = math.nan
    status_changes: dict[str, int] = field(default_factory=dict)


@dataclass
class StreamCount:
    """Messages of one stream in the file, and how many seqs are missing below the last."""

    source: str
    topic: str
    count: int
    last_seq: int

    @property
    def missing(self) -> int:
        """Return how many seq numbers between 1 and the last are absent."""
        return self.last_seq - self.count


def stream_counts(path: str | os.PathLike[str]) -> list[StreamCount]:
    """Return message counts per stream: the file is complete when none is missing."""
    db = open_readonly(path)
    try:
        rows = db.execute(
            "SELECT source, topic, COUNT(*), MAX(seq) FROM messages "
            "GROUP BY source, topic ORDER BY source, topic"
        ).fetchall()
    finally:
        db.close()
    return [StreamCount(s, t, n, m) for s, t, n, m in rows]


def summarize_people(path: str | os.PathLike[str]) -> dict[str, PersonSummary]:
    """Return each role's summary computed from the recorded messages."""
    people: dict[str, PersonSummary] = {}
    rr_sum: dict[str, float] = {}
    rmssd: dict[str, list[float]] = {}
    for msg in read_messages(path, (TOPIC_HRM + ".", TOPIC_BEAT + ".", TOPIC_METRICS + ".")):
        role = msg.role or "?"
        person = people.setdefault(role, PersonSummary(role))
        kind = msg.topic.split(".")[0]
        if kind == TOPIC_HRM:
            person.notifications += 1
        elif kind == TOPIC_BEAT:
            rr = msg.json()["rr_ms"]
            person.beats += len(rr)
            rr_sum[role] = rr_sum.get(role, 0.0) + sum(rr)
        else:
            value = msg.json().get("rmssd_ms")
            if value is not None:
                rmssd.setdefault(role, []).append(value)
    for msg in read_messages(path, ("status.client", "status.therapist")):
        person = people.setdefault(msg.role or "?", PersonSummary(msg.role or "?"))
        status = str(msg.json().get("status"))
        person.status_changes[status] = person.status_changes.get(status, 0) + 1
    for role, person in people.items():
        if person.beats:
            person.mean_hr_bpm = 60000.0 * person.beats / rr_sum[role]
        if rmssd.get(role):
            person.median_rmssd_ms = median(rmssd[role])
    return people


def format_summary(path: str | os.PathLike[str]) -> str:
    """Return a plain-text summary table of a session file."""
    people = summarize_people(path)
    streams = stream_counts(path)
    lines = [
        f"{'person':<10} {'notifications':>13} {'beats':>6} {'mean HR':>8} {'median RMSSD':>13}",
        f"{'':<10} {'':>13} {'':>6} {'(bpm)':>8} {'(ms, 60 s)':>13}",
    ]
    for role in sorted(people):
        p = people[role]
        lines.append(
            f"{role:<10} {p.notifications:>13} {p.beats:>6} "
            f"{_fmt(p.mean_hr_bpm):>8} {_fmt(p.median_rmssd_ms):>13}"
        )
        events = ", ".join(f"{k} ({v})" for k, v in sorted(p.status_changes.items()))
        if events:
            lines.append(f"{'':<10} strap status: {events}")
    missing = sum(s.missing for s in streams)
    total = sum(s.count for s in streams)
    lines.append(
        f"recorded {total} messages in {len(streams)} streams; "
        + ("none missing" if missing == 0 else f"{missing} MISSING (see sequence gaps)")
    )
    return "\n".join(lines)


def _fmt(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:.1f}"


def integrity_ok(path: str | os.PathLike[str]) -> bool:
    """Return True if SQLite's integrity check passes on the file."""
    db = open_readonly(path)
    try:
        return bool(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
    finally:
        db.close()


def session_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the payload of the file's `session` message (clock anchor, parameters)."""
    for msg in read_messages(path, ("session",)):
        return dict(msg.json())
    return {}
