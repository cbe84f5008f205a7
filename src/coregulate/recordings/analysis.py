"""`coregulate analyze` as a library: a session (or two imported files) in, a summary out."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import coregulate
from coregulate.recordings.breathing_summary import breathing_by_role
from coregulate.recordings.group_pipeline import run_group_pipeline
from coregulate.recordings.group_summary import pair_entry
from coregulate.recordings.limits import check_within_limits
from coregulate.recordings.pipeline import PipelineResult, run_offline_pipeline, session_anchor_ns
from coregulate.recordings.summary import PersonSummary, summarize_hr_samples
from coregulate.sessionfile.access import SessionFileError, check_intact
from coregulate.sessionfile.beats import BeatSeries, as_role
from coregulate.sessionfile.markers import Marker
from coregulate.sessionfile.record import Event, SessionRecord, read_session
from coregulate.signal.dyad import ROLES
from coregulate.signal.people import PeopleError, keys_of, people_from_session

# What `analyze` reads of a session file: never the raw notifications or the metrics.
_PARTS = ("beats", "hr", "markers", "ratings")
_progress = logging.getLogger("coregulate.progress")


@dataclass
class Analysis:
    """The inputs, the pipeline's result and the JSON summary of one dyad."""

    sources: dict[str, Path]
    people: dict[str, BeatSeries]
    result: PipelineResult
    markers: list[Marker]  # those that stand (withdrawn ones left out)
    ratings: list[dict[str, Any]]
    hr_only: dict[str, PersonSummary] = field(default_factory=dict)  # roles without beats
    breathing: dict[str, dict[str, Any]] = field(default_factory=dict)  # roles with ACC
    keys: tuple[str, ...] = ROLES  # the session's people in session order (signal/people.py)

    def summary(self) -> dict[str, Any]:
        """Return the JSON-ready summary: `people`, `pairs`, `group`, parameters.

        A two-person session also keeps `client`, `therapist` and `synchrony` as
        before; its one pair is (client, therapist) and its `group` is null.
        """
        out: dict[str, Any] = {
            "software": f"coregulate {coregulate.__version__}",
            "inputs": {role: str(p) for role, p in self.sources.items()},
        }
        dyad = self.keys == ROLES
        if dyad:
            for role in ROLES:
                out[role] = self._person(role)
            out["synchrony"] = self.result.synchrony
        out["markers"] = len(self.markers)
        out["ratings"] = len(self.ratings)
        out["parameters"] = self.result.parameters
        out["people"] = {key: self._person(key) for key in self.keys}
        out["pairs"] = (
            [pair_entry(*ROLES, self.result.synchrony)] if dyad else list(self.result.pairs)
        )
        out["group"] = None if dyad else self.result.group
        return out

    def _person(self, key: str) -> dict[str, Any] | None:
        """Return one person's summary object (with breathing when recorded), None if absent."""
        person = self.hr_only.get(key) or self.result.people.get(key)
        out = person.to_dict() if person is not None else None
        if out is not None and key in self.breathing:
            out |= self.breathing[key]
        return out


def _hr_only_summary(samples: list[Event], as_role: str) -> PersonSummary | None:
    """Return a person's summary from HR samples (an HR-only import), or None if none."""
    values = [float(e.payload["hr_bpm"]) for e in samples]
    return summarize_hr_samples(as_role, values) if values else None


def _one_role(record: SessionRecord, wanted: str) -> tuple[BeatSeries | None, PersonSummary | None]:
    """Return the beats of `wanted` in a file (or of its only person), or its HR-only summary."""
    people, path = record.beats, record.path
    if wanted in people:
        return people[wanted], None
    if len(people) == 1:
        return next(iter(people.values())), None
    if not people:
        hr_only = _hr_only_summary([e for samples in record.hr.values() for e in samples], wanted)
        if hr_only is not None:
            return None, hr_only
        raise SessionFileError(f"{path} holds no beats; import or record a session first")
    raise SessionFileError(f"{path} holds beats of {', '.join(sorted(people))} but not of {wanted}")


def analyze_files(
    session: str | os.PathLike[str] | None = None,
    client: str | os.PathLike[str] | None = None,
    therapist: str | os.PathLike[str] | None = None,
    phase: bool = False,
    parallel: bool = True,
) -> Analysis:
    """Return the analysis of one session file, or of a client file and a therapist file.

    Two files are aligned on calendar time: each file's beats sit at its own wall-clock
    anchor plus session time, and the therapist's are shifted onto the client's clock.
    `phase` adds Hilbert phase synchrony (NeuroKit2, offline only; slower to start).
    `parallel` lets independent parts run on several cores (`run_offline_pipeline`).
    """
    if session is not None:
        path = Path(session)
        check_intact(path)
        check_within_limits(path)  # a file larger than a session can hold: refused at once
        record = read_session(path, (*_PARTS, "info"))
        keys = _session_keys(record)
        people = record.beats
        hr_only = {
            role: summary
            for role in keys
            if role not in people
            and (summary := _hr_only_summary(record.hr.get(role, []), role)) is not None
        }
        sources = {role: path for role in (*people, *hr_only)}
    else:
        if client is None or therapist is None:
            raise SessionFileError("give one session file, or both --client and --therapist")
        paths = {"client": Path(client), "therapist": Path(therapist)}
        for p in paths.values():
            check_intact(p)
            check_within_limits(p)
        keys = ROLES
        shift = session_anchor_ns(paths["therapist"]) - session_anchor_ns(paths["client"])
        # Markers and ratings are the session's: the client file's, for an imported pair.
        records = {
            "client": read_session(paths["client"], _PARTS),
            "therapist": read_session(paths["therapist"], ("beats", "hr")),
        }
        record = records["client"]
        people, hr_only = {}, {}
        for role, shift_ns in (("client", 0), ("therapist", shift)):
            beats, summary = _one_role(records[role], role)
            if beats is not None:
                people[role] = as_role(beats, role, shift_ns)
            elif summary is not None:
                hr_only[role] = summary
        sources = paths
    ratings = [e.payload | {"t_ns": e.t_ns} for e in record.ratings]
    n_beats = sum(len(b.t_ns) for b in people.values())
    # Shown by `coregulate analyze --progress` (commands/_progress.py); silent otherwise.
    _progress.info("computing metrics and synchrony over %d beats", n_beats)
    result = _pipeline(people, keys, phase, parallel)
    breathing = breathing_by_role(session) if session is not None else {}
    return Analysis(sources, people, result, record.markers, ratings, hr_only, breathing, keys)


def _pipeline(
    people: dict[str, BeatSeries], keys: tuple[str, ...], phase: bool, parallel: bool
) -> PipelineResult:
    """Return the pipeline's result: the dyad's as always, else every pair's and the group's."""
    if keys == ROLES:
        return run_offline_pipeline(people, phase, parallel)
    return run_group_pipeline(people, keys, phase, parallel)


def _session_keys(record: SessionRecord) -> tuple[str, ...]:
    """Return the keys of the session's people (an older file: the dyad's)."""
    try:
        keys = keys_of(people_from_session(record.info))
    except PeopleError as exc:
        raise SessionFileError(f"{record.path}: {exc}") from exc
    return ROLES if set(keys) == set(ROLES) else keys  # the dyad, whatever order it was listed


HR_GRID = "_hr_grid"  # a batch result's people's HR grids while the batch runs; never printed
