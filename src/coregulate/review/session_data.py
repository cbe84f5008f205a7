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
from coregulate.review.group_data import GroupSeries
from coregulate.sessionfile.beats import BeatSeries
from coregulate.sessionfile.markers import Marker
from coregulate.sessionfile.record import Event, read_session
from coregulate.signal.baseline import STATES
from coregulate.signal.dyad import ROLES
from coregulate.signal.people import PeopleError, keys_of, people_from_session

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


@dataclass
class SyncSeries:
    """The HR synchrony windows over time, their chance band, and the session's final summary.

    `chance_abs_r95` is each window's chance band (the 95th percentile of the peak |r|
    of unrelated stretches, docs/synchrony.md section 3) and `above_chance` 1.0 or 0.0
    for the window's own verdict; both NaN where the window gives none (a session
    recorded before the band existed, or too early for one); `chance_unavailable`
    is the sync stage's reason for the newest window without a band.
    """

    t_s: np.ndarray
    peak_r: np.ndarray
    peak_lag_s: np.ndarray
    final: dict[str, Any] | None
    chance_abs_r95: np.ndarray | None = None
    above_chance: np.ndarray | None = None
    chance_unavailable: str | None = None

    def __post_init__(self) -> None:
        nan = np.full(self.t_s.shape, np.nan)
        if self.chance_abs_r95 is None:
            self.chance_abs_r95 = nan
        if self.above_chance is None:
            self.above_chance = nan.copy()


def _verdict(value: object) -> float:
    return float(value) if isinstance(value, bool) else math.nan


def window_row(window: dict[str, Any]) -> tuple[float, float, float, float, float]:
    """Return one sync window as (centre_s, peak_r, peak_lag_s, chance_abs_r95, above_chance)."""
    return (
        (window["start_ns"] + window["end_ns"]) / 2e9,
        _num(window.get("peak_r")),
        _num(window.get("peak_lag_s")),
        _num(window.get("chance_abs_r95")),
        _verdict(window.get("above_chance")),
    )


def sync_series(updates: list[dict[str, Any]], final: dict[str, Any] | None) -> SyncSeries | None:
    """Return the HR synchrony series of these step updates and final statistics; None if neither.

    Only updates with a window count; the newest one's reason for a missing chance
    band (``unavailable["window_chance"]``) is kept.
    """
    with_window = [u for u in updates if u.get("window")]
    if not with_window and not final:
        return None
    reason = (
        (with_window[-1].get("unavailable") or {}).get("window_chance") if with_window else None
    )
    arr = np.array([window_row(u["window"]) for u in with_window], dtype=float).reshape(-1, 5)
    return SyncSeries(arr[:, 0], arr[:, 1], arr[:, 2], final, arr[:, 3], arr[:, 4], reason)


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
    # Sessions of 3+ people (issue 19): every pair's HR synchrony, (a, b) in session
    # order (positive lag = b leads), and the group index. Empty for a dyad, whose
    # one pair is `sync`.
    pairs: dict[tuple[str, str], SyncSeries] = field(default_factory=dict)
    group: GroupSeries | None = None

    @property
    def is_group(self) -> bool:
        """Return True for a session of 3+ people (its pairs and group drawn, not `sync`)."""
        return bool(self.pairs) or self.group is not None or len(self.people) > 2

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


def person_series(metrics: list[dict[str, Any]], beats: BeatSeries) -> PersonSeries:
    """Return one person's series for the report from their metrics payloads and beats."""
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
        n_beats=int(beats.rr_ms.size),
        gaps=_beat_gaps(beats),
    )


_NO_BEATS = BeatSeries("", [], np.zeros(0, np.int64), np.zeros(0), np.zeros(0, bool))


def _beat_gaps(beats: BeatSeries) -> list[tuple[float, float]]:
    """Return (start_s, end_s) of every span a `gap_before` beat says was lost."""
    gaps = []
    t_ns, rr_ms = beats.t_ns.tolist(), beats.rr_ms.tolist()
    for i in np.flatnonzero(beats.gap_before[1:]) + 1:
        last_t = t_ns[i - 1]
        gaps.append((last_t / 1e9, max(t_ns[i] - rr_ms[i] * 1e6, last_t) / 1e9))
    return gaps


def _sync(events: list[Event]) -> SyncSeries | None:
    """Return the HR synchrony windows and final summary the sync stage published."""
    updates: list[dict[str, Any]] = []
    final: dict[str, Any] | None = None
    for e in events:
        p = e.payload
        # The dyad's synchrony only: a pair of a larger session names its pair.
        if e.source != "sync" or p.get("series") != "hr_bpm" or "pair" in p:
            continue
        if p.get("final"):
            final = p
        updates.append(p)
    return sync_series(updates, final)


def load_session(path: str | os.PathLike[str]) -> SessionData:
    """Return a session's timeline read from its file (raises SessionFileError if unreadable)."""
    record = read_session(path)
    people = {
        role: person_series(record.metrics.get(role, []), record.beats.get(role) or _NO_BEATS)
        for role in _session_keys(record.info)
        if record.metrics.get(role) or role in record.beats
    }
    ratings: list[Rating] = []
    problems = list(record.problems)
    for e in record.ratings:
        try:
            ratings.append(read_rating(e.payload, e.t_ns))
        except RatingError as exc:
            problems.append(f"rating at {e.t_ns / 1e9:.0f} s left out: {exc}")
    keys = _session_keys(record.info)
    if len(keys) > 2:  # every pair's and the group's synchrony, as `analyze --report` draws
        from coregulate.review.group_file import read_group

        group_pairs, group = read_group(record.path, keys)
    else:
        group_pairs, group = {}, None
    return SessionData(
        record.path,
        record.info,
        people,
        _sync(record.synchrony),
        record.markers,
        ratings,
        problems,
        record.lost_messages,
        record.end_ns / 1e9,
        group_pairs,
        group,
    )


def _session_keys(info: dict[str, Any]) -> tuple[str, ...]:
    """Return the keys of the session's people (the dyad's for an older or malformed file)."""
    try:
        return keys_of(people_from_session(info))
    except PeopleError:
        return ROLES  # the dyad's numbers still read; the list's fault is the file's
