"""The report's input for an offline analysis: the pipeline's results as a `SessionData`.

`coregulate analyze --report` draws the same page as `coregulate report`: the
people's metrics and the HR synchrony come from the offline pipeline (so an
imported pair, which recorded no metrics, gets them too); the markers, ratings,
session information and problems are read from the file that holds them (the
session file, or the client's file of a pair), as `load_session` reads them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from coregulate.recordings.analysis import Analysis
from coregulate.review.session_data import (
    SessionData,
    SyncSeries,
    load_session,
    person_series,
    sync_series,
)
from coregulate.sessionfile.access import read_session_payload


def _sync_series(analysis: Analysis) -> SyncSeries | None:
    """Return the HR synchrony windows (at their centres) and the final statistics."""
    final = (analysis.result.synchrony.get("series") or {}).get("hr_bpm")
    return sync_series(analysis.result.sync_updates("hr_bpm"), final)


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
        people[role] = person_series(analysis.result.outputs.get(f"metrics.{role}", []), beats)
    ends = [float(p.t_s[-1]) for p in people.values() if p.t_s.size]
    return dataclasses.replace(
        recorded,
        info=_info(analysis, recorded.info),
        people=people,
        sync=_sync_series(analysis),
        duration_s=max([recorded.duration_s, *ends]) if ends else recorded.duration_s,
    )
