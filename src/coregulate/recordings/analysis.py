"""`coregulate analyze` as a library: a session (or two imported files) in, a summary out."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import coregulate
from coregulate.recordings.pipeline import (
    BeatSeries,
    PipelineResult,
    beats_from_messages,
    read_beats,
    run_offline_pipeline,
    session_anchor_ns,
)
from coregulate.recordings.store import SessionFileError, check_intact, read_messages
from coregulate.recordings.summary import PersonSummary, summarize_hr_samples
from coregulate.signal.dyad import ROLES


@dataclass
class Analysis:
    """The inputs, the pipeline's result and the JSON summary of one dyad."""

    sources: dict[str, Path]
    people: dict[str, BeatSeries]
    result: PipelineResult
    markers: list[dict[str, Any]]
    ratings: list[dict[str, Any]]
    hr_only: dict[str, PersonSummary] = field(default_factory=dict)  # roles without beats

    def summary(self) -> dict[str, Any]:
        """Return the JSON-ready summary (`client`, `therapist`, `synchrony`, parameters)."""
        out: dict[str, Any] = {
            "software": f"coregulate {coregulate.__version__}",
            "inputs": {role: str(p) for role, p in self.sources.items()},
        }
        for role in ROLES:
            person = self.hr_only.get(role) or self.result.people.get(role)
            out[role] = person.to_dict() if person is not None else None
        out["synchrony"] = self.result.synchrony
        out["markers"] = len(self.markers)
        out["ratings"] = len(self.ratings)
        out["parameters"] = self.result.parameters
        return out


def _hr_only_summary(path: Path, role: str | None, as_role: str) -> PersonSummary | None:
    """Return a person's summary from HR samples (an HR-only import), or None if none."""
    values = [
        float(m.json()["hr_bpm"])
        for m in read_messages(path, ("hr.",))
        if role is None or m.role == role
    ]
    return summarize_hr_samples(as_role, values) if values else None


def _one_role(path: Path, wanted: str) -> tuple[BeatSeries | None, PersonSummary | None]:
    """Return the beats of `wanted` in `path` (or of its only person), or its HR-only summary."""
    people = read_beats(path)
    if wanted in people:
        return people[wanted], None
    if len(people) == 1:
        return next(iter(people.values())), None
    if not people:
        hr_only = _hr_only_summary(path, None, wanted)
        if hr_only is not None:
            return None, hr_only
        raise SessionFileError(f"{path} holds no beats; import or record a session first")
    raise SessionFileError(f"{path} holds beats of {', '.join(sorted(people))} but not of {wanted}")


def analyze_files(
    session: str | os.PathLike[str] | None = None,
    client: str | os.PathLike[str] | None = None,
    therapist: str | os.PathLike[str] | None = None,
    phase: bool = False,
) -> Analysis:
    """Return the analysis of one session file, or of a client file and a therapist file.

    Two files are aligned on calendar time: each file's beats sit at its own wall-clock
    anchor plus session time, and the therapist's are shifted onto the client's clock.
    `phase` adds Hilbert phase synchrony (NeuroKit2, offline only; slower to start).
    """
    if session is not None:
        path = Path(session)
        check_intact(path)
        people = read_beats(path)
        hr_only = {
            role: summary
            for role in ROLES
            if role not in people and (summary := _hr_only_summary(path, role, role)) is not None
        }
        sources = {role: path for role in (*people, *hr_only)}
        extra = [path]
    else:
        if client is None or therapist is None:
            raise SessionFileError("give one session file, or both --client and --therapist")
        paths = {"client": Path(client), "therapist": Path(therapist)}
        for p in paths.values():
            check_intact(p)
        shift = session_anchor_ns(paths["therapist"]) - session_anchor_ns(paths["client"])
        people, hr_only = {}, {}
        for role, shift_ns in (("client", 0), ("therapist", shift)):
            beats, summary = _one_role(paths[role], role)
            if beats is not None:
                people[role] = beats_from_messages(role, _retopic(beats, role), shift_ns)
            elif summary is not None:
                hr_only[role] = summary
        sources = paths
        extra = [paths["client"]]
    markers = effective_markers(
        m.json() | {"t_ns": m.t_ns} for p in extra for m in read_messages(p, ("marker",))
    )
    ratings = [m.json() | {"t_ns": m.t_ns} for p in extra for m in read_messages(p, ("rating",))]
    return Analysis(sources, people, run_offline_pipeline(people, phase), markers, ratings, hr_only)


def effective_markers(payloads: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the markers that stand: retractions (undo) and what they retract removed."""
    items = list(payloads)
    retracted = {p.get("retracts") for p in items if p.get("kind") == "retraction"}
    return [p for p in items if p.get("kind") != "retraction" and p.get("id") not in retracted]


def _retopic(series: BeatSeries, role: str) -> list:
    from coregulate.bus.envelope import Message

    topic = f"beat.{role}"
    return [Message(topic, m.source, m.seq, m.t_ns, m.payload, m.enc) for m in series.messages]
