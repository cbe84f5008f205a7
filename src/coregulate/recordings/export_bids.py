"""Exports a session file as a BIDS-style physio folder (TSV.gz + JSON sidecars, events, README).

The physio convention of BIDS: each person a subject (pseudonymous id), HR and RR
on a regular grid (`export.hr_grid`), every beat with its class, markers and
ratings as events. The views are read as `export.open_parseable` gives them.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import coregulate
from coregulate.recordings.export import (
    HR_GRID_HZ,
    hr_grid,
    open_parseable,
    query_rows,
    session_json,
    table_bytes,
    tsv_gz,
    write_bytes,
)
from coregulate.security.files import private_dir
from coregulate.sessionfile.access import read_session_payload
from coregulate.signal.dyad import ROLES
from coregulate.signal.resample import MAX_INTERP_GAP_S

if TYPE_CHECKING:
    from coregulate.recordings.pipeline import BeatSeries


def _label(text: str) -> str:
    """Return a BIDS label (alphanumerics only) for a pseudonymous id."""
    return re.sub(r"[^A-Za-z0-9]", "", text) or "unknown"


class _Folder:
    """Writes owner-only files under one folder and remembers what it wrote."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: list[Path] = []
        private_dir(root)

    def put(self, rel: str, data: bytes) -> None:
        target = self.root / rel
        private_dir(target.parent)
        write_bytes(target, data)
        self.written.append(target)

    def put_json(self, rel: str, obj: Any) -> None:
        self.put(rel, json.dumps(obj, indent=2).encode())


def export_bids(path: str | os.PathLike[str], out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write a BIDS-style folder (physio TSV.gz + JSON sidecars, events, README); return files."""
    from coregulate.recordings.pipeline import read_beats

    src = Path(path)
    folder = _Folder(Path(out_dir))
    session = read_session_payload(src)
    parameters = session_json(src)
    wall_ns = int(session.get("clock", {}).get("wall_anchor_ns", 0) or 0)
    folder.put_json(
        "dataset_description.json",
        {
            "Name": f"coregulate session {src.stem}",
            "BIDSVersion": "1.9.0",
            "DatasetType": "raw",
            "GeneratedBy": [{"Name": "coregulate", "Version": coregulate.__version__}],
        },
    )
    ids = {role: _label(str(session.get(f"{role}_id", role))) for role in ROLES}
    if ids["client"] == ids["therapist"]:
        ids = {role: f"{label}{role}" for role, label in ids.items()}
    people = read_beats(src)
    folder.put(
        "participants.tsv",
        table_bytes(
            [[f"sub-{ids[r]}", r] for r in sorted(people)], ["participant_id", "role"], "\t"
        ),
    )
    for role, beats in sorted(people.items()):
        base = f"sub-{ids[role]}/beh/sub-{ids[role]}_task-session"
        _bids_physio(folder, base, role, beats, {"wall_ns": wall_ns, "parameters": parameters})
        _bids_beats(folder, base, beats)
    _bids_events(folder, src)
    folder.put(
        "README", _BIDS_README.format(source=src.name, software=coregulate.__version__).encode()
    )
    return folder.written


def _bids_physio(
    folder: _Folder, base: str, role: str, beats: BeatSeries, session: dict[str, Any]
) -> None:
    """Write one person's HR/RR grid (TSV.gz) and its sidecar."""
    start_s, hr, rr = hr_grid(beats.t_ns, beats.rr_ms, beats.gap_before)
    folder.put(f"{base}_recording-hr_physio.tsv.gz", tsv_gz(np.column_stack([hr, rr])))
    folder.put_json(
        f"{base}_recording-hr_physio.json",
        {
            "SamplingFrequency": HR_GRID_HZ,
            "StartTime": start_s,
            "Columns": ["hr_bpm", "rr_ms"],
            "hr_bpm": {"Units": "bpm", "Description": "60000 / rr_ms"},
            "rr_ms": {
                "Units": "ms",
                "Description": (
                    "RR interval linearly interpolated between beat end times; n/a across "
                    f"gaps and farther than {MAX_INTERP_GAP_S:g} s from a beat"
                ),
            },
            "StartTimeReference": "session start (session clock 0)",
            "SessionStartWallClockNs": session["wall_ns"],
            "Role": role,
            "Device": beats.messages[0].json().get("source", "strap") if beats.messages else None,
            "Parameters": session["parameters"],
        },
    )


def _bids_beats(folder: _Folder, base: str, beats: BeatSeries) -> None:
    """Write one person's beats with their artifact class (TSV) and its sidecar."""
    from coregulate.signal.screening import classify_beats

    kinds, _ = classify_beats(beats.t_ns, beats.rr_ms, beats.gap_before)
    rows = [
        [f"{t / 1e9:.6f}", f"{r:.4f}", int(g), kind]
        for t, r, g, kind in zip(beats.t_ns, beats.rr_ms, beats.gap_before, kinds, strict=True)
    ]
    folder.put(
        f"{base}_beats.tsv", table_bytes(rows, ["onset", "rr_ms", "gap_before", "beat_class"], "\t")
    )
    folder.put_json(
        f"{base}_beats.json",
        {
            "onset": {
                "Units": "s",
                "Description": "beat time (end of the RR interval), session clock",
            },
            "rr_ms": {"Units": "ms", "Description": "RR interval ending at onset"},
            "gap_before": {"Description": "1 = beats were lost before this one"},
            "beat_class": {
                "Description": "normal, ectopic, missed, extra, longshort, merged "
                "(Lipponen & Tarvainen 2019, as the live signal stage) or implausible"
            },
        },
    )


def _bids_events(folder: _Folder, src: Path) -> None:
    """Write the markers and ratings as BIDS events (onset in session seconds)."""
    db, _ = open_parseable(src)
    try:
        events = query_rows(
            db,
            "SELECT t_ns / 1e9, 'marker', kind, note FROM markers UNION ALL "
            "SELECT t_ns / 1e9, 'rating', instrument, total FROM ratings "
            "ORDER BY 1",
        )
    finally:
        db.close()
    folder.put(
        "task-session_events.tsv",
        table_bytes(
            [[f"{t:.6f}", 0, kind, value, note] for t, kind, value, note in events],
            ["onset", "duration", "trial_type", "value", "note"],
            "\t",
        ),
    )


_BIDS_README = """coregulate BIDS-style export of {source} (coregulate {software})

Heart data of a psychotherapy session: client and therapist, each a BIDS subject
(pseudonymous ids). Not a full BIDS dataset (no imaging); the physio files follow
the BIDS physiological recordings convention.

dataset_description.json     dataset name and generator
participants.tsv             subject ids and their role (client or therapist)
sub-*/beh/*_recording-hr_physio.tsv.gz   HR (bpm) and RR (ms) on a 4 Hz grid, n/a in gaps;
                             the .json sidecar: SamplingFrequency, StartTime (s after
                             session start), Columns, units, and every session parameter
sub-*/beh/*_beats.tsv        every beat: onset (s), rr_ms, gap_before, beat_class
task-session_events.tsv      markers (rupture, repair, notes) and ratings, onset in s

Session time 0 is the session clock's start; its calendar time is in each sidecar
(SessionStartWallClockNs, ns since 1970-01-01 UTC).
"""
