"""The report's input for an offline analysis: the pipeline's results as a `SessionData`.

`coregulate analyze --report` draws the same page as `coregulate report`: the
people's metrics and the HR synchrony come from the offline pipeline (so an
imported pair, which recorded no metrics, gets them too); the markers, ratings,
session information and problems are read from the file that holds them (the
session file, or the client's file of a pair), as `load_session` reads them.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from coregulate.recordings.analysis import Analysis
from coregulate.recordings.store import read_session_payload
from coregulate.review.session_data import (
    SessionData,
    SyncSeries,
    _beat_gaps,
    _person,
    load_session,
)


def _num(value: object) -> float:
    return float(value) if isinstance(value, int | float) else math.nan


def _sync_series(analysis: Analysis) -> SyncSeries | None:
    """Return the HR synchrony windows (at their centres) and the final statistics."""
    rows = [
        ((w["start_ns"] + w["end_ns"]) / 2e9, _num(w.get("peak_r")), _num(w.get("peak_lag_s")))
        for u in analysis.result.sync_updates("hr_bpm")
        if (w := u.get("window"))
    ]
    final = (analysis.result.synchrony.get("series") or {}).get("hr_bpm")
    if not rows and not final:
        return None
    arr = np.array(rows, dtype=float).reshape(-1, 3)
    return SyncSeries(arr[:, 0], arr[:, 1], arr[:, 2], final)


def _info(analysis: Analysis, recorded: dict[str, Any]) -> dict[str, Any]:
    """Return the session information; a pair also names its two files and the therapist."""
    info = dict(recorded)
    client, therapist = analysis.sources.get("client"), analysis.sources.get("therapist")
    if client is not None and therapist is not None and client != therapist:
        info["inputs"] = {role: path.name for role, path in analysis.sources.items()}
        theirs = read_session_payload(therapist).get("therapist_id")
        if theirs and info.get("therapist_id") in (None, "unknown"):
            info["therapist_id"] = theirs
    return info


def session_from_analysis(analysis: Analysis) -> SessionData:
    """Return the page's data for an analysis: pipeline metrics and synchrony, file events."""
    path = analysis.sources.get("client") or next(iter(analysis.sources.values()))
    recorded = load_session(path)
    people = {}
    for role, beats in analysis.people.items():
        metrics = analysis.result.outputs.get(f"metrics.{role}", [])
        timed = [(m.t_ns, m.json()) for m in beats.messages]
        people[role] = _person(metrics, [b for _, b in timed], _beat_gaps(timed))
    ends = [float(p.t_s[-1]) for p in people.values() if p.t_s.size]
    return dataclasses.replace(
        recorded,
        info=_info(analysis, recorded.info),
        people=people,
        sync=_sync_series(analysis),
        duration_s=max([recorded.duration_s, *ends]) if ends else recorded.duration_s,
    )
