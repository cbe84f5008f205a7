"""Turns an `ImportedRecording` into a session file: the same topics as a live session.

Beats with arrival times (Polar Sensor Logger, XDF) go through the live beat
timer (`acquisition/beat_timing.py`), so they are placed exactly as a strap's
would be; a plain RR list is chained from time 0. Every `beat.<role>` message
carries ``"source": "import:<format>"`` and ``rr_ticks: null`` (the device's
raw units are unknown). Imports hold no raw notifications, so they can be
analysed and exported but not replayed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import coregulate
from coregulate.acquisition.beat_timing import BeatTimer
from coregulate.acquisition.source import STATUS_CONNECTING, STATUS_ENDED, STATUS_STREAMING
from coregulate.bus.envelope import TOPIC_BEAT, TOPIC_SESSION, TOPIC_STATUS, topic_for
from coregulate.recordings.importers import ImportedRecording, Notification
from coregulate.recordings.parameters import pipeline_parameters
from coregulate.recordings.writer import SessionWriter
from coregulate.signal.people import Person, people_meta

NS_PER_MS = 1_000_000
TOPIC_HR = "hr"  # HR samples without beats (imported HR-only files)


def _placed(notes: list[Notification]) -> Iterator[tuple[list[int], list[float], bool]]:
    """Yield each notification's beats placed on the session clock: (t_ns, rr_ms, gap_before).

    A generator, so a long recording is written as it is placed, never held twice.
    """
    if notes and all(n.t_ns is not None for n in notes):  # R peaks, placed by their ECG
        for note in notes:
            yield list(note.t_ns or ()), list(note.rr_ms), note.gap_before
        return
    if all(n.arrival_ns is None for n in notes):
        t = 0
        first = True
        for note in notes:
            for rr in note.rr_ms:
                t += round(rr * NS_PER_MS)
                yield [t], [rr], first
                first = False
        return
    timer = BeatTimer()
    for note in notes:
        placed = timer.place(int(note.arrival_ns or 0), note.rr_ms)
        yield list(placed.t_ns), list(note.rr_ms), placed.gap_before


def write_import(
    recording: ImportedRecording,
    out: str | os.PathLike[str],
    source_file: str,
    client_id: str = "unknown",
    therapist_id: str = "unknown",
    extra: Iterable[tuple[str, bytes, int]] | None = None,
    people: Sequence[Person] | None = None,
) -> Path:
    """Write `recording` as a new session file at `out` (all or nothing); return its path.

    `extra` adds raw messages (topic, bytes, session t_ns), e.g. imported ACC frames;
    an iterator is consumed as it is written (an ImportFileError from it keeps nothing).
    `people` names the session's people (`import --person`): recorded in the session
    message unless they are the client and the therapist (`people_meta`).
    """
    payload = _session_payload(recording, source_file, client_id, therapist_id)
    payload |= people_meta(people) if people else {}
    with SessionWriter(out, "import") as writer:
        writer.send(TOPIC_SESSION, payload, 0)
        for role, notes in recording.notifications.items():
            _write_beats(writer, recording, role, notes, recording.device.get(role, source_file))
        for role, samples in recording.hr_samples.items():
            _write_hr_samples(writer, recording, role, samples)
        for topic, payload, t_ns in extra or ():
            writer.send(topic, payload, t_ns, enc="bytes")
    return Path(out)


def _session_payload(
    recording: ImportedRecording, source_file: str, client_id: str, therapist_id: str
) -> dict[str, Any]:
    """Return the `session` message of an imported recording (a derived file)."""
    return {
        "clock": {
            "monotonic_anchor_ns": 0,
            "wall_anchor_ns": recording.wall_anchor_ns,
            "speed": 1.0,
        },
        "software": f"coregulate {coregulate.__version__}",
        "mode": f"import ({recording.format})",
        "imported_from": source_file,
        "client_id": client_id,
        "therapist_id": therapist_id,
        "roles": sorted({*recording.notifications, *recording.hr_samples}),
        "parameters": pipeline_parameters(),
        # Another device's recording: no catalogue counts it as a client's session.
        "derived": {"kind": "import", "from": source_file},
    }


def _write_beats(
    writer: SessionWriter,
    recording: ImportedRecording,
    role: str,
    notes: list[Notification],
    device: str,
) -> None:
    """Write one role's RR notifications as beats, between connecting and ended statuses."""
    status = topic_for(TOPIC_STATUS, role)
    writer.send(status, {"status": STATUS_CONNECTING, "name": device}, 0)
    end: int | None = None
    for t_ns, rr_ms, gap in _placed(notes):
        if end is None:
            writer.send(status, {"status": STATUS_STREAMING}, t_ns[0])
        writer.send(
            topic_for(TOPIC_BEAT, role),
            {
                "t_ns": t_ns,
                "rr_ms": rr_ms,
                "rr_ticks": None,
                "gap_before": gap,
                "hr_bpm": round(60000.0 * len(rr_ms) / sum(rr_ms)),
                "contact": None,
                "source": f"import:{recording.format}",
            },
            t_ns[-1],
        )
        end = t_ns[-1]
    writer.send(status, {"status": STATUS_ENDED}, end or 0)


def _write_hr_samples(
    writer: SessionWriter,
    recording: ImportedRecording,
    role: str,
    samples: list[tuple[int, float]],
) -> None:
    """Write one role's heart-rate-only samples, between connecting and ended statuses."""
    status = topic_for(TOPIC_STATUS, role)
    writer.send(status, {"status": STATUS_CONNECTING, "name": recording.device[role]}, 0)
    for t_ns, hr_bpm in samples:
        writer.send(
            topic_for(TOPIC_HR, role),
            {"hr_bpm": hr_bpm, "source": f"import:{recording.format}"},
            t_ns,
        )
    writer.send(status, {"status": STATUS_ENDED}, samples[-1][0] if samples else 0)
