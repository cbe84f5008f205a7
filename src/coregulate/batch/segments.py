"""Segments of a session and their numbers: rupture → repair, rating phases, annotations.

A segment is a stretch of session time (`onset_s`, `duration_s`) with a `label` and
a `source`: ``marker`` (a rupture marker to the next repair marker; a rupture never
repaired runs to the end of the session, ``open_ended``), ``rating`` (the phases a
session's alliance ratings delimit: before the last start-of-session rating, the
therapy between, after the first end-of-session rating) or ``annotation`` (a row of
`analyze --segments FILE`, e.g. speech turns). Each segment gets one row per person
(the whole-session definitions of `recordings.pipeline.person_summary` over the
beats inside it, classified within the segment) and one for the dyad (the
synchrony windows that end inside it).
"""

from __future__ import annotations

import csv
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from coregulate.recordings.analysis import Analysis
from coregulate.recordings.pipeline import person_summary
from coregulate.signal.dyad import ROLES
from coregulate.signal.people import pairs, sync_topic

NS = 1_000_000_000


def read_csv_rows(path: Path, what: str) -> list[tuple[int, dict[str, str]]]:
    """Return (line number, row) of a CSV with a header; names lower-case, values stripped.

    Raises ValueError naming the file and `what` it should be if it cannot be read.
    """
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"{path}: cannot read the {what} ({exc})") from exc
    return [
        (i, {k.strip().lower(): (v or "").strip() for k, v in row.items() if k})
        for i, row in enumerate(rows, start=2)
    ]


def read_annotations(path: Path) -> list[dict[str, Any]]:
    """Return the rows of a `session,onset_s,duration_s,label` CSV (ValueError saying why)."""
    out = []
    for i, row in read_csv_rows(path, "segments CSV"):
        try:
            onset, duration = float(row["onset_s"]), float(row["duration_s"])
            session = row["session"]
        except (KeyError, ValueError):
            raise ValueError(
                f"{path}, row {i}: expected columns session,onset_s,duration_s,label "
                "(times in seconds from the session's start)"
            ) from None
        if not (math.isfinite(onset) and math.isfinite(duration) and duration > 0):
            raise ValueError(f"{path}, row {i}: onset_s must be a number and duration_s > 0")
        out.append({"session": session, "onset_s": onset, "duration_s": duration,
                    "label": row.get("label", "")})  # fmt: skip
    return out


def annotations_for(rows: list[dict[str, Any]], session_file: str) -> list[dict[str, Any]]:
    """Return the annotation rows naming `session_file` (its name, stem or path as given)."""
    p = Path(session_file)
    names = {p.name, p.stem, str(p)}
    return [r for r in rows if r["session"] in names or Path(r["session"]).name == p.name]


def _marker_segments(analysis: Analysis, end_s: float) -> list[dict[str, Any]]:
    out = []
    markers = sorted(analysis.markers, key=lambda m: m.t_s)
    for k, m in enumerate(markers):
        if m.category != "rupture":
            continue
        repair = next((r for r in markers[k + 1 :] if r.category == "repair"), None)
        stop = repair.t_s if repair is not None else end_s
        until = "repair" if repair is not None else "end of session"
        out.append({"source": "marker", "label": f"{m.label} → {until}", "onset_s": m.t_s,
                    "duration_s": stop - m.t_s, "open_ended": repair is None})  # fmt: skip
    return out


def _rating_segments(analysis: Analysis, end_s: float) -> list[dict[str, Any]]:
    times = {
        phase: [r["t_ns"] / NS for r in analysis.ratings if r.get("phase") == phase]
        for phase in ("start", "end")
    }
    begin = max(times["start"], default=0.0)
    finish = min(times["end"], default=end_s)
    spans = [("start ratings", 0.0, begin), ("therapy", begin, finish),
             ("end ratings", finish, end_s)]  # fmt: skip
    if not analysis.ratings:
        return []
    return [{"source": "rating", "label": label, "onset_s": a, "duration_s": b - a,
             "open_ended": False} for label, a, b in spans if b > a]  # fmt: skip


def _window_numbers(updates: list[dict[str, Any]], onset_s: float, stop_s: float) -> dict[str, Any]:
    peaks = [
        u["window"]
        for u in updates
        if u.get("window") and onset_s * NS < u["window"]["end_ns"] <= stop_s * NS
    ]
    z = np.array([w["peak_z"] for w in peaks], dtype=float)
    r = np.array([w["peak_r"] for w in peaks], dtype=float)
    return {
        "n_windows": len(peaks),
        "mean_abs_peak_z": float(np.mean(np.abs(z))) if z.size else None,
        "mean_peak_r": float(np.mean(r)) if r.size else None,
    }


def duration_s(analysis: Analysis) -> float:
    """Return the session's length: session time of the last beat of either person (s)."""
    ends = [float(b.t_ns[-1]) / NS for b in analysis.people.values() if b.t_ns.size]
    return max(ends, default=0.0)


def segment_rows(analysis: Analysis, annotations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return one row per segment per person and per dyad (``scope``), in session order.

    A session of 3+ people has a row per pair instead of the dyad's (``scope`` pair,
    ``pair`` = ``a.b``).
    """
    end_s = duration_s(analysis)
    segments = _marker_segments(analysis, end_s) + _rating_segments(analysis, end_s)
    segments += [
        {"source": "annotation", "open_ended": False}
        | {k: a[k] for k in ("label", "onset_s", "duration_s")}
        for a in annotations
    ]
    rows = []
    for seg in sorted(segments, key=lambda s: (s["onset_s"], s["source"])):
        stop_s = seg["onset_s"] + seg["duration_s"]
        for role, beats in sorted(analysis.people.items()):
            inside = (beats.t_ns >= seg["onset_s"] * NS) & (beats.t_ns < stop_s * NS)
            part = replace(
                beats,
                t_ns=beats.t_ns[inside],
                rr_ms=beats.rr_ms[inside],
                gap_before=beats.gap_before[inside],
                artifact=None if beats.artifact is None else beats.artifact[inside],
            )
            numbers = person_summary(part).to_dict()
            numbers.pop("artifacts", None), numbers.pop("artifact_method", None)
            rows.append({**seg, "scope": role, **numbers})
        if analysis.keys == ROLES:
            updates = analysis.result.sync_updates()
            rows.append(
                {**seg, "scope": "dyad", **_window_numbers(updates, seg["onset_s"], stop_s)}
            )
            continue
        for a, b in pairs(analysis.keys):  # 3+ people: one row per pair
            numbers = _window_numbers(_pair_updates(analysis, a, b), seg["onset_s"], stop_s)
            rows.append({**seg, "scope": "pair", "pair": f"{a}.{b}", **numbers})
    return rows


def _pair_updates(analysis: Analysis, a: str, b: str) -> list[dict[str, Any]]:
    """Return pair (a, b)'s heart-rate synchrony step updates (not the final one)."""
    topic = sync_topic(a, b, len(analysis.keys))
    return [
        u
        for u in analysis.result.outputs.get(topic, [])
        if u.get("series") == "hr_bpm" and not u.get("final")
    ]
