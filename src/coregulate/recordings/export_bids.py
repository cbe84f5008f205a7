"""Exports a session file into a BIDS dataset: sub-/ses- entities, physio, events.

Every person is a BIDS subject (their pseudonymous id; client and therapist in a
two-person session, each of the session's people otherwise); the session is a
``ses-`` label (its session number, else its start, UTC ``YYYYMMDDTHHMMSS``), so
one client's sessions exported into the same folder share one dataset. Each
person's heart rate (and ECG and accelerometer, when recorded) is a
``_physio.tsv.gz`` (no header row) with its JSON sidecar (BIDS "Physiological
recordings"); markers and ratings are the session's
``_events.tsv``. The beat-exact table (``_beats.tsv``, irregular in time, which no
BIDS suffix describes) is listed in ``.bidsignore``. The dataset passes the BIDS
validator (tests/test_export_bids.py).
"""

from __future__ import annotations

import csv
import json
import os
import re
from datetime import UTC, datetime
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
from coregulate.recordings.export_people import session_people as people_from_session_file
from coregulate.security.files import private_dir
from coregulate.sessionfile.access import read_session_payload
from coregulate.signal.dyad import ROLES
from coregulate.signal.people import Person, is_default_dyad
from coregulate.signal.resample import MAX_INTERP_GAP_S

if TYPE_CHECKING:
    from coregulate.recordings.pipeline import BeatSeries

BIDS_VERSION = "1.9.0"
TASK = "session"


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


class BidsDatasetError(ValueError):
    """The output folder holds something other than a coregulate BIDS dataset, or this session."""


def session_label(session: dict[str, Any]) -> str:
    """Return the ``ses-`` label: the session number, else the start (UTC) as digits."""
    number = session.get("session_number")
    if isinstance(number, int) and not isinstance(number, bool):
        return f"{number:03d}"
    wall_ns = int(session.get("clock", {}).get("wall_anchor_ns", 0) or 0)
    return datetime.fromtimestamp(wall_ns / 1e9, UTC).strftime("%Y%m%dT%H%M%S")


def is_coregulate_dataset(folder: Path) -> bool:
    """Return whether `folder` is a BIDS dataset this exporter started (it may add to it)."""
    try:
        description = json.loads((folder / "dataset_description.json").read_text())
    except (OSError, ValueError):
        return False
    return any(g.get("Name") == "coregulate" for g in description.get("GeneratedBy", []))


def _participants(folder: Path, new: dict[str, str]) -> bytes:
    """Return participants.tsv: the rows already there plus `new` (id -> role)."""
    rows: dict[str, str] = {}
    try:
        with (folder / "participants.tsv").open(newline="", encoding="utf-8") as f:
            rows = {r["participant_id"]: r["role"] for r in csv.DictReader(f, delimiter="\t")}
    except (OSError, KeyError):
        pass
    rows |= new
    return table_bytes([[p, rows[p]] for p in sorted(rows)], ["participant_id", "role"], "\t")


def export_bids(path: str | os.PathLike[str], out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write the session into the BIDS dataset at `out_dir` (new, or one of ours); return files."""
    from coregulate.recordings.pipeline import read_beats

    src, root = Path(path), Path(out_dir)
    if root.exists() and any(root.iterdir()) and not is_coregulate_dataset(root):
        raise BidsDatasetError(f"{root} is neither empty nor a coregulate BIDS dataset")
    session = read_session_payload(src)
    ses = _label(session_label(session))
    session_people = people_from_session_file(src)
    ids = _subject_labels(session, session_people)
    people = read_beats(src)
    for role in people:
        if (root / f"sub-{ids[role]}" / f"ses-{ses}").exists():
            raise BidsDatasetError(f"{root}: sub-{ids[role]}/ses-{ses} is already there")
    roles = {p.key: p.role for p in session_people}
    participants = _participants(root, {f"sub-{ids[r]}": roles.get(r, r) for r in people})
    folder = _Folder(root)
    _dataset_files(folder, src, session_people)
    folder.put("participants.tsv", participants)
    wall_ns = int(session.get("clock", {}).get("wall_anchor_ns", 0) or 0)
    events = _events(src)
    for role, beats in sorted(people.items()):
        sub = f"sub-{ids[role]}"
        base = f"{sub}/ses-{ses}/beh/{sub}_ses-{ses}_task-{TASK}"
        parameters = {"wall_ns": wall_ns, "parameters": session_json(src)}
        _bids_physio(folder, base, role, beats, parameters)
        _bids_beats(folder, base, beats)
        folder.put(f"{base}_events.tsv", events)
    for role, frames in _ecg_frames(src).items():
        if role in people:
            sub = f"sub-{ids[role]}"
            _bids_ecg(folder, f"{sub}/ses-{ses}/beh/{sub}_ses-{ses}_task-{TASK}", frames)
    bases = {r: f"sub-{ids[r]}/ses-{ses}/beh/sub-{ids[r]}_ses-{ses}" for r in people}
    _bids_acc(folder, src, bases)
    return folder.written


def _subject_labels(session: dict[str, Any], people: tuple[Person, ...]) -> dict[str, str]:
    """Return each person's BIDS subject label: their id; with the key added if ids repeat."""
    if is_default_dyad(people):  # as always: the ids as recorded, else the role
        ids = {role: _label(str(session.get(f"{role}_id", role))) for role in ROLES}
    else:
        ids = {p.key: _label(p.id) for p in people}
    if len(set(ids.values())) < len(ids):
        ids = {key: f"{label}{_label(key)}" for key, label in ids.items()}
    return ids


def _dataset_files(folder: _Folder, src: Path, people: tuple[Person, ...]) -> None:
    """Write the dataset-level files (description, README, sidecars, .bidsignore)."""
    folder.put_json(
        "dataset_description.json",
        {
            "Name": "coregulate sessions",
            "BIDSVersion": BIDS_VERSION,
            "DatasetType": "raw",
            "Authors": ["coregulate export"],
            "GeneratedBy": [{"Name": "coregulate", "Version": coregulate.__version__}],
        },
    )
    levels = {"client": "the client", "therapist": "the therapist"}
    levels |= {p.role: _ROLE_LEVELS.get(p.role, p.role) for p in people if p.role not in levels}
    what = "dyads" if is_default_dyad(people) else "sessions"
    folder.put_json(
        "participants.json",
        {"role": {"Description": f"who this person is in the {what}", "Levels": levels}},
    )
    folder.put_json(f"task-{TASK}_events.json", _EVENT_COLUMNS)
    folder.put(".bidsignore", b"*_beats.tsv\n*_beats.json\n")
    folder.put("README", _README.format(software=coregulate.__version__).encode())


_EVENT_COLUMNS = {
    "trial_type": {"Description": "marker or rating instrument: rupture-withdrawal, "
                   "rupture-confrontation, repair, note, or SRS / ORS / WAI-SR"},
    "value": {"Description": "a rating's total score (points); n/a for a marker"},
    "note": {"Description": "the note typed with a marker; n/a if none"},
}  # fmt: skip


_ROLE_LEVELS = {"co-therapist": "a second therapist", "partner": "the client's partner"}


def _events(src: Path) -> bytes:
    """Return the markers and ratings as BIDS events (onset in session seconds)."""
    db, _ = open_parseable(src)  # a row whose payload does not parse is left out
    try:
        rows = query_rows(
            db,
            "SELECT t_ns / 1e9, kind, NULL, note FROM markers UNION ALL "
            "SELECT t_ns / 1e9, instrument, total, NULL FROM ratings ORDER BY 1",
        )
    finally:
        db.close()
    return table_bytes(
        [[f"{t:.6f}", 0, kind, value, note or None] for t, kind, value, note in rows],
        ["onset", "duration", "trial_type", "value", "note"],
        "\t",
    )


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
    folder.put_json(f"{base}_beats.json", _BEAT_COLUMNS)


def _ecg_frames(src: Path) -> dict[str, list[tuple[int, bytes]]]:
    """Return each role's raw ECG frames with their arrival (session ns), in order."""
    db, _ = open_parseable(src)
    try:
        rows = query_rows(db, "SELECT role, t_ns, frame FROM ecg ORDER BY role, t_ns")
    finally:
        db.close()
    out: dict[str, list[tuple[int, bytes]]] = {}
    for role, t_ns, frame in rows:
        if isinstance(frame, bytes):
            out.setdefault(role, []).append((int(t_ns), frame))
    return out


def ecg_on_grid(frames: list[tuple[int, bytes]]) -> tuple[float, np.ndarray]:
    """Return (StartTime s, µV at 130 Hz) of decoded PMD frames; NaN where samples are missing.

    Samples are placed by the strap's own timestamps (regular at its rate); the
    strap clock is put on the session clock by the earliest arrival relative to
    its frame's last sample (the least-delayed notification). Undecodable frames
    are skipped.
    """
    from coregulate.acquisition.pmd import ECG_RATE_HZ, PmdError, decode_ecg_frame

    decoded = []
    for arrival_ns, data in frames:
        try:
            decoded.append((arrival_ns, decode_ecg_frame(data)))
        except PmdError:
            continue
    if not decoded:
        return 0.0, np.zeros(0)
    offset_ns = min(a - f.timestamp_ns for a, f in decoded)
    first_ns = min(f.sample_times_ns()[0] for _, f in decoded)
    index = [
        (round((t - first_ns) * ECG_RATE_HZ / 1e9), uv)
        for _, f in decoded
        for t, uv in zip(f.sample_times_ns(), f.samples_uv, strict=True)
    ]
    values = np.full(max(i for i, _ in index) + 1, np.nan)
    for i, uv in index:
        values[i] = uv
    return (first_ns + offset_ns) / 1e9, values


def _bids_ecg(folder: _Folder, base: str, frames: list[tuple[int, bytes]]) -> None:
    """Write one person's decoded ECG (TSV.gz, column `cardiac`) and its sidecar."""
    from coregulate.acquisition.pmd import ECG_RATE_HZ

    start_s, uv = ecg_on_grid(frames)
    if not uv.size:
        return
    folder.put(f"{base}_recording-ecg_physio.tsv.gz", tsv_gz(uv[:, None]))
    folder.put_json(
        f"{base}_recording-ecg_physio.json",
        {
            "SamplingFrequency": float(ECG_RATE_HZ),
            "StartTime": start_s,
            "Columns": ["cardiac"],
            "cardiac": {
                "Units": "uV",
                "Description": "ECG of the Polar strap (PMD raw frames, decoded); n/a where "
                "frames were lost",
            },
            "StartTimeReference": "session start (session clock 0)",
        },
    )


def _bids_acc(folder: _Folder, src: Path, bases: dict[str, str]) -> None:
    """Write each person's decoded ACC (mg, 200 Hz) and its sidecar, if the file holds ACC."""
    from coregulate.recordings.export_acc import acc_on_grid, acc_sidecar, acc_tsv_gz

    db, _ = open_parseable(src)
    try:
        grids = acc_on_grid(db)
    finally:
        db.close()
    for role, (start_s, mg) in sorted(grids.items()):
        if role in bases:
            base = f"{bases[role]}_task-{TASK}_recording-acc_physio"
            folder.put(f"{base}.tsv.gz", acc_tsv_gz(mg))
            folder.put_json(f"{base}.json", acc_sidecar(start_s))


_BEAT_COLUMNS = {
    "onset": {"Units": "s", "Description": "beat time (end of the RR interval), session clock"},
    "rr_ms": {"Units": "ms", "Description": "RR interval ending at onset"},
    "gap_before": {"Description": "1 = beats were lost before this one"},
    "beat_class": {
        "Description": "normal, ectopic, missed, extra, longshort, merged "
        "(Lipponen & Tarvainen 2019, as the live signal stage) or implausible"
    },
}

_README = """coregulate sessions as a BIDS dataset (coregulate {software})

Heart data of psychotherapy sessions: client and therapist are each a BIDS subject
(pseudonymous ids); each session is a ses- label (session number, else its start
in UTC). One client's sessions exported into the same folder share this dataset.

dataset_description.json, participants.tsv (+ .json: the role of each subject)
sub-*/ses-*/beh/*_recording-hr_physio.tsv.gz   HR (bpm) and RR (ms) on a 4 Hz grid, n/a
        in gaps; the .json sidecar: SamplingFrequency, StartTime (s after session
        start), Columns, units, and every session parameter
sub-*/ses-*/beh/*_recording-ecg_physio.tsv.gz   ECG (uV) at 130 Hz where the strap sent it
sub-*/ses-*/beh/*_recording-acc_physio.tsv.gz   chest acceleration x, y, z (mg = milli-g)
        at 200 Hz where the strap sent it
sub-*/ses-*/beh/*_events.tsv   markers (rupture, repair, notes) and ratings, onset in s
sub-*/ses-*/beh/*_beats.tsv    every beat: onset (s), rr_ms, gap_before, beat_class
        (not a BIDS suffix: listed in .bidsignore)

Session time 0 is the session clock's start; its calendar time is in each physio
sidecar (SessionStartWallClockNs, ns since 1970-01-01 UTC).
"""
