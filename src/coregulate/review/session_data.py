"""One session's timeline, read from its file: physiology, synchrony, markers, ratings, quality.

Everything comes from the recorded bus messages, so a report or a history can be made
for any session file, live-recorded or replayed. Fields a later pipeline adds (the
arousal index and states of `metrics.<role>`) are used when present; when absent the
reader says so instead of inventing them. A rating whose total does not match its
answers is listed under `problems`, never silently dropped or shown.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from coregulate.alliance.rating import Rating, read_rating
from coregulate.alliance.scoring import RatingError
from coregulate.recordings.store import read_messages
from coregulate.signal.dyad import ROLES

STATES = ("settled", "activated", "highly activated")
# Metrics come about once per beat; a longer pause than this between two updates is
# lost data, not time spent in the last state shown.
MAX_UPDATE_GAP_S = 5.0


@dataclass
class PersonSeries:
    """One person's metrics over session time (s); NaN where a metric was unavailable."""

    t_s: np.ndarray
    hr_bpm: np.ndarray
    ln_rmssd: np.ndarray
    artifact_share: np.ndarray
    arousal_index: np.ndarray | None = None
    state: list[str | None] | None = None
    baseline: dict[str, Any] | None = None  # the stored-profile object, when one was made
    baseline_window_s: tuple[float, float] | None = None  # the resting period, when taken
    n_beats: int = 0
    gaps: list[tuple[float, float]] = field(default_factory=list)  # (start_s, end_s)

    def time_in_state_s(self) -> dict[str, float] | None:
        """Return seconds spent in each state, or None when the metrics carry no states.

        Each update's state lasts until the next update; a pause between updates longer
        than `MAX_UPDATE_GAP_S` (lost data) counts as "unavailable", not as the state
        before it.
        """
        if self.state is None or len(self.t_s) < 2:
            return None
        out = dict.fromkeys(STATES, 0.0)
        out["unavailable"] = 0.0
        dt = np.diff(self.t_s)
        for state, seconds in zip(self.state[:-1], dt, strict=True):
            known = state in out and seconds <= MAX_UPDATE_GAP_S
            out[state if known else "unavailable"] += float(seconds)
        return out


@dataclass(frozen=True)
class Marker:
    """A session marker: time (s), kind and optional note."""

    t_s: float
    kind: str
    note: str | None
    marker_id: str | None = None

    @property
    def label(self) -> str:
        """Return the kind as a reader writes it ("rupture-withdrawal" -> "rupture: withdrawal")."""
        return self.kind.replace("-", ": ", 1)

    @property
    def category(self) -> str:
        """Return "rupture", "repair" or "note"."""
        k = self.kind.lower()
        return (
            "rupture" if k.startswith("rupture") else "repair" if k.startswith("repair") else "note"
        )


@dataclass
class SyncSeries:
    """The HR synchrony windows over time, and the session's final summary."""

    t_s: np.ndarray
    peak_r: np.ndarray
    peak_lag_s: np.ndarray
    final: dict[str, Any] | None


@dataclass
class SessionData:
    """Everything the report and the history read from one session file."""

    path: Path
    info: dict[str, Any]
    people: dict[str, PersonSeries]
    sync: SyncSeries | None
    markers: list[Marker]
    ratings: list[Rating]
    problems: list[str]
    lost_messages: int
    duration_s: float

    @property
    def client_id(self) -> str:
        """Return the pseudonymous client id (or "unknown")."""
        return str(self.info.get("client_id") or "unknown")

    @property
    def wall_start_ns(self) -> int | None:
        """Return the calendar time of session time 0 (ns since the epoch), if recorded."""
        clock = self.info.get("clock") or {}
        value = clock.get("wall_anchor_ns")
        return int(value) if isinstance(value, int) else None


def _num(value: object) -> float:
    return (
        float(value) if isinstance(value, int | float) and not isinstance(value, bool) else math.nan
    )


def _person(metrics: list[dict[str, Any]], beats: list[dict[str, Any]], gaps) -> PersonSeries:
    t_s = np.array([p["t_ns"] / 1e9 for p in metrics], dtype=float)
    has_states = any("state" in p for p in metrics)
    has_arousal = any("arousal_index" in p for p in metrics)
    baseline = window = None
    for p in reversed(metrics):
        b = p.get("baseline")
        if isinstance(b, dict) and isinstance(b.get("profile"), dict):
            baseline = b["profile"]
            if isinstance(b.get("start_t_ns"), int) and isinstance(b.get("end_t_ns"), int):
                window = (b["start_t_ns"] / 1e9, b["end_t_ns"] / 1e9)
            break
    return PersonSeries(
        t_s=t_s,
        hr_bpm=np.array([_num(p.get("hr_bpm")) for p in metrics]),
        ln_rmssd=np.array([_num(p.get("ln_rmssd")) for p in metrics]),
        artifact_share=np.array([_num(p.get("artifact_share")) for p in metrics]),
        arousal_index=np.array([_num(p.get("arousal_index")) for p in metrics])
        if has_arousal
        else None,
        state=[p.get("state") for p in metrics] if has_states else None,
        baseline=baseline,
        baseline_window_s=window,
        n_beats=sum(len(b.get("rr_ms", [])) for b in beats),
        gaps=gaps,
    )


def _beat_gaps(beats: list[tuple[int, dict[str, Any]]]) -> list[tuple[float, float]]:
    """Return (start_s, end_s) of every span a `gap_before` beat says was lost."""
    gaps = []
    last_t: int | None = None
    for _, b in beats:
        times = b.get("t_ns") or []
        if not times:
            continue
        if b.get("gap_before") and last_t is not None:
            first_start = times[0] - (b.get("rr_ms") or [0])[0] * 1e6
            gaps.append((last_t / 1e9, max(first_start, last_t) / 1e9))
        last_t = times[-1]
    return gaps


def _marker(payload: object, t_ns: int, retracted: set[str]) -> Marker | None:
    """Return the Marker of a `marker` payload (None for a retraction or a malformed one).

    Reads the live window's fields (`id`, `kind`, `t_ns` = when the key was pressed,
    `text`, and `retracts` for an undo) and the plain `{"kind", "note"}` form.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("kind"), str):
        return None
    if payload["kind"] == "retraction":
        if isinstance(payload.get("retracts"), str):
            retracted.add(payload["retracts"])
        return None
    t = payload.get("t_ns")
    note = payload.get("text") or payload.get("note")
    return Marker(
        (t if isinstance(t, int) and not isinstance(t, bool) else t_ns) / 1e9,
        payload["kind"],
        note if isinstance(note, str) else None,
        payload.get("id") if isinstance(payload.get("id"), str) else None,
    )


def load_session(path: str | os.PathLike[str]) -> SessionData:
    """Return a session's timeline read from its file (raises SessionFileError if unreadable)."""
    path = Path(path)
    info: dict[str, Any] = {}
    metrics: dict[str, list[dict[str, Any]]] = {r: [] for r in ROLES}
    beats: dict[str, list[tuple[int, dict[str, Any]]]] = {r: [] for r in ROLES}
    sync_rows: list[tuple[float, float, float]] = []
    sync_final: dict[str, Any] | None = None
    markers: list[Marker] = []
    retracted: set[str] = set()
    ratings: list[Rating] = []
    problems: list[str] = []
    last_seq: dict[tuple[str, str], tuple[int, int]] = {}
    end_ns = 0
    for msg in read_messages(path):
        seen, top = last_seq.get(msg.stream, (0, 0))
        last_seq[msg.stream] = (seen + 1, max(top, msg.seq))
        if msg.enc == "bytes":
            end_ns = max(end_ns, msg.t_ns)
            continue
        kind, _, role = msg.topic.partition(".")
        if kind == "session" and not info:
            info = dict(msg.json())
        elif kind == "metrics" and role in metrics:
            metrics[role].append(msg.json())
        elif kind == "beat" and role in beats:
            beats[role].append((msg.t_ns, msg.json()))
        elif msg.topic == "sync" and msg.source == "sync":
            p = msg.json()
            if p.get("series") != "hr_bpm":
                continue
            if p.get("final"):
                sync_final = p
            w = p.get("window")
            if w:
                mid = (w["start_ns"] + w["end_ns"]) / 2e9
                sync_rows.append((mid, _num(w.get("peak_r")), _num(w.get("peak_lag_s"))))
        elif msg.topic == "marker":
            marker = _marker(msg.json(), msg.t_ns, retracted)
            if marker is not None:
                markers.append(marker)
            elif (
                msg.json() is None
                or not isinstance(msg.json(), dict)
                or (msg.json().get("kind") != "retraction")
            ):
                problems.append(f"marker at {msg.t_ns / 1e9:.0f} s has no kind; left out")
        elif msg.topic == "rating":
            try:
                ratings.append(read_rating(msg.json(), msg.t_ns))
            except RatingError as exc:
                problems.append(f"rating at {msg.t_ns / 1e9:.0f} s left out: {exc}")
        end_ns = max(end_ns, msg.t_ns)
    # An undo in the live window retracts a marker by id; the original stays in the
    # file (nothing recorded is ever altered) but is not shown or counted.
    markers = [m for m in markers if m.marker_id is None or m.marker_id not in retracted]
    people = {
        role: _person(metrics[role], [b for _, b in beats[role]], _beat_gaps(beats[role]))
        for role in ROLES
        if metrics[role] or beats[role]
    }
    sync = None
    if sync_rows or sync_final:
        arr = np.array(sync_rows, dtype=float).reshape(-1, 3)
        sync = SyncSeries(arr[:, 0], arr[:, 1], arr[:, 2], sync_final)
    lost = sum(top - seen for seen, top in last_seq.values() if top > seen)
    return SessionData(path, info, people, sync, markers, ratings, problems, lost, end_ns / 1e9)
