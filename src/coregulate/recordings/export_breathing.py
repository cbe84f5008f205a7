"""breathing.csv's rows: each person's breathing updates, as published live or recomputed.

A session recorded live holds its `breath.<role>` updates (signal/breathing_live.py
from the accelerometer, signal/edr_live.py from the ECG): they are exported as they
are, `origin` "live". A person whose file holds ECG or ACC frames but no update (an
import, `coregulate import --ecg/--acc`, or a file recorded before the trackers
existed) gets the updates the live trackers give for the same frames in arrival
order, `origin` "recomputed": the trackers are driven by the frames alone, so these
are the updates a live session would have published, from the ECG until the first
ACC frame and from the ACC after it, as the strap publisher hands over
(acquisition/publisher.py). `breathing_source` says which ("acc" or "ecg").
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from coregulate.acquisition.pmd import PmdError, decode_ecg_frame
from coregulate.acquisition.pmd_acc import acc_frame_array

BREATH_CSV_HEADER = [
    "role", "t_ns", "t_s", "breathing_rate_bpm", "breathing_source", "window_s",
    "movement_mg", "moving", "posture_change", "hf_note", "unavailable_json", "origin",
]  # fmt: skip
_FIELDS = ("breathing_rate_bpm", "breathing_source", "window_s", "movement_mg")
_BREATH_SQL = """SELECT substr(topic, 8), t_ns, t_ns / 1e9,
       json_extract(p, '$.breathing_rate_bpm'), json_extract(p, '$.breathing_source'),
       json_extract(p, '$.window_s'), json_extract(p, '$.movement_mg'),
       json_extract(p, '$.moving'), json_extract(p, '$.posture_change'),
       json_extract(p, '$.hf_note'), json_extract(p, '$.unavailable'), 'live'
FROM (SELECT topic, t_ns, CAST(payload AS TEXT) AS p FROM messages
      WHERE topic >= 'breath.' AND topic < 'breath/') ORDER BY topic, t_ns"""
# Both kinds of frame of one person, in the order they arrived (as the publisher took them).
_FRAMES_SQL = """SELECT kind, t_ns, frame FROM (
    SELECT 'ecg' AS kind, t_ns, frame, 0 AS k FROM ecg WHERE role = ?
    UNION ALL SELECT 'acc', t_ns, frame, 1 FROM acc WHERE role = ?) ORDER BY t_ns, k"""


def breathing_rows(db: sqlite3.Connection) -> list[list[Any]]:
    """Return breathing.csv's rows, by person and time: live updates, else recomputed ones."""
    rows = [list(r) for r in db.execute(_BREATH_SQL)]
    live = {r[0] for r in rows}
    framed = {role for (role,) in db.execute("SELECT role FROM ecg UNION SELECT role FROM acc")}
    for role in sorted(framed - live):
        rows += [_row(role, update) for update in recomputed_updates(db, role)]
    rows.sort(key=lambda r: (r[0], r[1]))  # stable: the live rows keep their order
    return rows


def recomputed_updates(db: sqlite3.Connection, role: str) -> list[dict[str, Any]]:
    """Return the `breath.<role>` updates the live trackers give for the recorded frames."""
    from coregulate.signal.breathing_live import BreathingTracker
    from coregulate.signal.edr_live import EcgBreathingTracker

    ecg_tracker: EcgBreathingTracker | None = EcgBreathingTracker()
    acc_tracker: BreathingTracker | None = None
    out: list[dict[str, Any]] = []
    for kind, t_ns, frame in db.execute(_FRAMES_SQL, (role, role)):
        try:
            if kind == "acc":
                stamp_ns, mg = acc_frame_array(bytes(frame))
                if acc_tracker is None:
                    acc_tracker, ecg_tracker = BreathingTracker(), None  # ACC takes over
                out += acc_tracker.add(int(t_ns), stamp_ns, mg)
            elif ecg_tracker is not None:
                ecg = decode_ecg_frame(bytes(frame))
                out += ecg_tracker.add(int(t_ns), ecg.timestamp_ns, ecg.samples_uv)
        except (PmdError, TypeError):
            continue  # undecodable: recorded raw and flagged live, as the publisher skips it
    return out


def _row(role: str, update: dict[str, Any]) -> list[Any]:
    """Return one recomputed update as a row, in the form SQLite gives the live ones."""

    def flag(value: object) -> int | None:
        return None if value is None else int(bool(value))

    unavailable = json.dumps(update["unavailable"], separators=(",", ":"), ensure_ascii=False)
    return [
        role,
        update["t_ns"],
        update["t_ns"] / 1e9,
        *(update[f] for f in _FIELDS),
        flag(update["moving"]),
        flag(update["posture_change"]),
        update["hf_note"],
        unavailable,
        "recomputed",
    ]
