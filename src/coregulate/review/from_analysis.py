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
from coregulate.review.group_data import GroupSeries, group_series
from coregulate.review.session_data import (
    SessionData,
    SyncSeries,
    load_session,
    person_series,
    sync_series,
)
from coregulate.sessionfile.access import read_session_payload
from coregulate.signal.people import SYNC_GROUP_TOPIC, sync_topic


def _sync_series(analysis: Analysis) -> SyncSeries | None:
    """Return the HR synchrony windows (at their centres) and the final statistics."""
    final = (analysis.result.synchrony.get("series") or {}).get("hr_bpm")
    return sync_series(analysis.result.sync_updates("hr_bpm"), final)


def _pair_series(analysis: Analysis) -> dict[tuple[str, str], SyncSeries]:
    """Return every pair's HR synchrony in a session of 3+ people (none for a dyad)."""
    out: dict[tuple[str, str], SyncSeries] = {}
    n = len(analysis.keys)
    for entry in analysis.result.pairs if n > 2 else ():
        pair = (entry["a"], entry["b"])
        updates = [
            u
            for u in analysis.result.outputs.get(sync_topic(*pair, n), [])
            if u.get("series") == "hr_bpm" and not u.get("final")
        ]
        final = (entry.get("series") or {}).get("hr_bpm")
        series = sync_series(updates, final)
        if series is not None:
            out[pair] = series
    return out


def _group_series(analysis: Analysis) -> GroupSeries | None:
    """Return the group index over time in a session of 3+ people, else None."""
    if len(analysis.keys) <= 2:
        return None
    updates = analysis.result.outputs.get(SYNC_GROUP_TOPIC, [])
    return group_series(updates, analysis.result.group)


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
    # A group's page draws its people in session order (a dyad's as ever).
    order = [k for k in analysis.keys if k in analysis.people and len(analysis.keys) > 2]
    order += [k for k in analysis.people if k not in order]
    for role in order:
        beats = analysis.people[role]
        people[role] = person_series(analysis.result.outputs.get(f"metrics.{role}", []), beats)
    ends = [float(p.t_s[-1]) for p in people.values() if p.t_s.size]
    return dataclasses.replace(
        recorded,
        info=_info(analysis, recorded.info),
        people=people,
        sync=_sync_series(analysis),
        pairs=_pair_series(analysis),
        group=_group_series(analysis),
        duration_s=max([recorded.duration_s, *ends]) if ends else recorded.duration_s,
    )
