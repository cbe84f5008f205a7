"""A per-person summary of a session file, and a check that no message is missing."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median
from typing import Any

from coregulate.bus.envelope import TOPIC_BEAT, TOPIC_HRM, TOPIC_METRICS
from coregulate.recordings.restarts import restart_lines
from coregulate.sessionfile.access import open_readonly, read_messages, read_session_payload
from coregulate.signal.baseline import STATES
from coregulate.signal.dyad import ROLES
from coregulate.signal.people import PeopleError, keys_of, people_from_session


@dataclass(frozen=True, slots=True)
class PersonSummary:
    """One person's whole-session numbers; a field is None where its source cannot give it.

    The one per-person summary type. Three sources fill it, each with what it has:
    the beats (`pipeline.person_summary`, for `coregulate analyze`), the recorded
    messages (`summarize_people`, the demo's text summary) and the recorded metrics
    (`review.quality.summarize_series`, the report and the history). `mean_hr_bpm`
    is therefore 60000 / the mean normal interval from the beats, 60000 x beats /
    the sum of all intervals from the messages, and the mean displayed HR from the
    metrics; each output keeps the definition it has always had.
    """

    role: str
    n_beats: int = 0
    mean_hr_bpm: float | None = None
    # From the beats (analyze).
    rmssd_ms: float | None = None  # over successive normal beats, never across a gap
    artifact_share_0to1: float | None = None  # beats not normal (metrics: mean per update)
    artifact_counts: dict[str, int] | None = None  # non-normal beats by class
    artifact_method: str | None = None
    n_hr_samples: int | None = None  # an HR-only import: samples instead of beats
    note: str | None = None
    # From the recorded messages (the demo's summary).
    n_notifications: int | None = None
    median_rmssd_ms: float | None = None  # of the metrics updates' 60 s RMSSD
    status_changes: dict[str, int] | None = None  # strap status -> times entered
    # From the recorded metrics (report, history).
    mean_ln_rmssd_ln_ms: float | None = None
    mean_arousal_index_z: float | None = None
    state_shares_0to1: dict[str, float] | None = None  # None: the metrics carry no states
    hr_unavailable_share_0to1: float | None = None
    n_gaps: int | None = None
    gaps_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the person's object of `coregulate analyze`'s JSON (its keys, its order)."""
        out: dict[str, Any] = {"n_beats": self.n_beats}
        if self.n_hr_samples is not None:
            out["n_hr_samples"] = self.n_hr_samples
        out["mean_hr_bpm"] = self.mean_hr_bpm
        out["rmssd_ms"] = self.rmssd_ms
        out["artifact_share"] = self.artifact_share_0to1
        if self.artifact_counts is not None:
            out["artifacts"] = dict(self.artifact_counts)
        out["artifact_method"] = self.artifact_method
        if self.note is not None:
            out["note"] = self.note
        return out

    def history_columns(self) -> dict[str, float]:
        """Return the person's columns of the history table (names with units; NaN = n/a)."""
        r = self.role
        shares = self.state_shares_0to1 or {}
        out = {
            f"{r}_mean_hr_bpm": _nan(self.mean_hr_bpm),
            f"{r}_mean_ln_rmssd_ln_ms": _nan(self.mean_ln_rmssd_ln_ms),
            f"{r}_mean_arousal_index_z": _nan(self.mean_arousal_index_z),
        }
        for state in STATES:
            out[f"{r}_{state.replace(' ', '_')}_share_0to1"] = _nan(shares.get(state))
        out[f"{r}_artifact_share_0to1"] = _nan(self.artifact_share_0to1)
        out[f"{r}_gaps_s"] = _nan(self.gaps_s)
        return out


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def summarize_hr_samples(role: str, hr_bpm: list[float]) -> PersonSummary:
    """Return the summary of a person with HR samples but no beats (an HR-only import)."""
    return PersonSummary(
        role,
        n_beats=0,
        n_hr_samples=len(hr_bpm),
        mean_hr_bpm=sum(hr_bpm) / len(hr_bpm),
        note="HR samples only (no beats): no RMSSD, no synchrony",
    )


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
    counts: dict[str, dict[str, int]] = {}  # role -> notifications, beats
    rr_sum: dict[str, float] = {}
    rmssd: dict[str, list[float]] = {}
    status: dict[str, dict[str, int]] = {}
    for msg in read_messages(path, (TOPIC_HRM + ".", TOPIC_BEAT + ".", TOPIC_METRICS + ".")):
        role = msg.role or "?"
        n = counts.setdefault(role, {"notifications": 0, "beats": 0})
        kind = msg.topic.split(".")[0]
        if kind == TOPIC_HRM:
            n["notifications"] += 1
        elif kind == TOPIC_BEAT:
            rr = msg.json()["rr_ms"]
            n["beats"] += len(rr)
            rr_sum[role] = rr_sum.get(role, 0.0) + sum(rr)
        else:
            value = msg.json().get("rmssd_ms")
            if value is not None:
                rmssd.setdefault(role, []).append(value)
    keys = _people_keys(path)
    for msg in read_messages(path, tuple(f"status.{k}" for k in keys)):
        role = msg.role or "?"
        counts.setdefault(role, {"notifications": 0, "beats": 0})
        changes = status.setdefault(role, {})
        key = str(msg.json().get("status"))
        changes[key] = changes.get(key, 0) + 1
    return {
        role: PersonSummary(
            role,
            n_beats=n["beats"],
            mean_hr_bpm=60000.0 * n["beats"] / rr_sum[role] if n["beats"] else None,
            n_notifications=n["notifications"],
            median_rmssd_ms=median(rmssd[role]) if rmssd.get(role) else None,
            status_changes=status.get(role, {}),
        )
        for role, n in counts.items()
    }


def format_summary(
    path: str | os.PathLike[str], unconfirmed: Sequence[str] = (), lost_after: str | None = None
) -> str:
    """Return a plain-text summary table of a session file.

    `unconfirmed` names the processes whose last messages the hub never confirmed:
    they are missing from the end of their streams, where no sequence gap shows it.
    `lost_after` is the session time (H:MM:SS) after which nothing was recorded, when
    the session ended early (the file could not be written).
    """
    people = summarize_people(path)
    streams = stream_counts(path)
    keys = _people_keys(path)
    w = max(10, *(len(r) for r in people)) if people else 10  # co-therapist: 12
    lines = [
        f"{'person':<{w}} {'notifications':>13} {'beats':>6} {'mean HR':>8} {'median RMSSD':>13}",
        f"{'':<{w}} {'':>13} {'':>6} {'(bpm)':>8} {'(ms, 60 s)':>13}",
    ]

    # A group in its session's order, then anyone else; a dyad as always (alphabetical).
    def place(role: str) -> tuple[int, str]:
        return (keys.index(role) if role in keys else len(keys), role)

    for role in sorted(people) if keys == ROLES else sorted(people, key=place):
        p = people[role]
        lines.append(
            f"{role:<{w}} {p.n_notifications:>13} {p.n_beats:>6} "
            f"{_fmt(p.mean_hr_bpm):>8} {_fmt(p.median_rmssd_ms):>13}"
        )
        events = ", ".join(f"{k} ({v})" for k, v in sorted((p.status_changes or {}).items()))
        if events:
            lines.append(f"{'':<{w}} strap status: {events}")
    for key in keys:  # a person whose strap never streamed is news, never a blank
        if key not in people:
            lines.append(f"{key:<{w}} {0:>13} {0:>6} {'n/a':>8} {'n/a':>13}")
            lines.append(f"{'':<{w}} NOTHING RECORDED from this person's strap")
    missing = sum(s.missing for s in streams)
    total = sum(s.count for s in streams)
    if missing:
        account = f"{missing} MISSING (see sequence gaps)"
    elif unconfirmed or lost_after:
        account = "none missing inside the streams"
    else:
        account = "none missing"
    if lost_after:
        account += f"; NOTHING RECORDED after {lost_after} (the session ended early)"
    if unconfirmed:
        account += (
            f"; the last messages of {', '.join(unconfirmed)} are MISSING "
            "(never confirmed by the hub; how many: the 'not confirmed' lines above)"
        )
    lines.append(f"recorded {total} messages in {len(streams)} streams; {account}")
    lines += restart_lines(path)  # a restarted straps' process is a gap no seq shows
    return "\n".join(lines)


def _people_keys(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """Return the keys of the file's people (the dyad's for a file of the two-person schema)."""
    try:
        return keys_of(people_from_session(read_session_payload(path)))
    except PeopleError:
        return ROLES


def _fmt(x: float | None) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{x:.1f}"


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
