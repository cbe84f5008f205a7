"""A client's history across sessions: one row per session, ratings beside physiology.

Each row is computed from one session file (`load_session`): the client's ORS, SRS
and WAI-SR, the ORS change from the intake ORS with its reliable-change flags, each
person's session means, time in each state when the metrics carry states, HR
synchrony (SUSY effect size, median lead/lag) and rupture/repair counts. Column
names carry their units, so the CSV export reads unambiguously in R or pandas.
"""

from __future__ import annotations

import csv
import logging
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from coregulate.alliance.change import ors_change
from coregulate.alliance.rating import DEFAULT_PERSON, Rating
from coregulate.review.quality import marker_counts, summarize_series, sync_summary
from coregulate.review.session_data import SessionData, load_session
from coregulate.sessionfile.access import SessionFileError
from coregulate.signal.dyad import ROLES

log = logging.getLogger(__name__)


def _client_rating(
    ratings: list[Rating], name: str, phase: str, person: str = DEFAULT_PERSON
) -> Rating | None:
    """Return `person`'s own rating of `name`, the last one of `phase` if several."""
    mine = [
        r
        for r in ratings
        if r.score.instrument == name and r.rater == "client" and r.person == person
    ]
    preferred = [r for r in mine if r.phase == phase]
    return (preferred or mine or [None])[-1]


def _role_columns(data: SessionData, role: str) -> dict[str, Any]:
    p = data.people.get(role)
    if p is None:
        return {f"{role}_mean_hr_bpm": math.nan}
    return summarize_series(role, p).history_columns()


def session_row(data: SessionData) -> dict[str, Any]:
    """Return one session's row of the history table (ORS change is added across rows)."""
    start = data.wall_start_ns
    row: dict[str, Any] = {
        "session_file": data.path.name,
        "session_number": None,
        "start_utc": (
            np.datetime_as_string(np.datetime64(start, "ns"), unit="s") + "Z" if start else ""
        ),
        "duration_min": data.duration_s / 60,
    }
    numbers = [r.session_number for r in data.ratings if r.session_number is not None]
    row["session_number"] = numbers[0] if numbers else None
    row.update(_rating_columns(data.ratings))
    for role in ROLES:
        row.update(_role_columns(data, role))
    # Sessions of several clients: each other person's own forms and physiology.
    others = [k for k in dict.fromkeys([*data.people, *_raters(data.ratings)]) if k not in ROLES]
    for key in others:
        row.update(_rating_columns(data.ratings, key))
        row.update(_role_columns(data, key))
    sync = sync_summary(data)
    row["sync_hr_susy_es"] = _float(sync.get("susy_es"))
    row["sync_hr_susy_p"] = _float(sync.get("susy_p"))
    row["sync_hr_mean_peak_z"] = _float(sync.get("mean_peak_z"))
    row["sync_hr_median_lag_s"] = _float(sync.get("median_peak_lag_s"))
    row["sync_hr_share_therapist_leads_0to1"] = _float(sync.get("share_therapist_leads"))
    counts = marker_counts(data)
    row["ruptures_n"] = counts["rupture"]
    row["repairs_n"] = counts["repair"]
    row["notes_n"] = counts["note"]
    return row


def _rating_columns(ratings: list[Rating], person: str = DEFAULT_PERSON) -> dict[str, Any]:
    """Return a person's ORS, SRS and WAI-SR columns (the client's unprefixed, others' `key_`)."""
    ors = _client_rating(ratings, "ORS", "start", person)
    srs = _client_rating(ratings, "SRS", "end", person)
    wai = _client_rating(ratings, "WAI-SR", "end", person)
    row: dict[str, Any] = {}
    row["ors_total_0to40"] = ors.score.total if ors else math.nan
    row["ors_clinical_range"] = ors.score.flags["clinical_range"] if ors else None
    row["srs_total_0to40"] = srs.score.total if srs else math.nan
    row["srs_concern"] = srs.score.flags["concern"] if srs else None
    for key in ("total", "task", "bond", "goal"):
        value = (wai.score.total if key == "total" else wai.score.subscales[key]) if wai else None
        row[f"wai_sr_{key}_sum"] = value if value is not None else math.nan
    row["wai_sr_total_mean_1to5"] = wai.score.subscales["total_mean"] if wai else math.nan
    prefix = "" if person == DEFAULT_PERSON else f"{person}_"
    return {f"{prefix}{name}": value for name, value in row.items()}


def _raters(ratings: list[Rating]) -> list[str]:
    """Return the people who filled in their own forms, in the order they first did."""
    return list(dict.fromkeys(r.person for r in ratings if r.rater == "client"))


def _float(value: object) -> float:
    return float(value) if isinstance(value, int | float) else math.nan


def add_ors_change(rows: list[dict[str, Any]], prefix: str = "") -> None:
    """Add, in place, each row's ORS change from the first ORS of the history and its flags.

    `prefix` is another client's column prefix (``partner_``): their own intake ORS.
    """
    ors = f"{prefix}ors_total_0to40"
    intake = next((r[ors] for r in rows if not math.isnan(r.get(ors, math.nan))), None)
    for row in rows:
        total = row.get(ors, math.nan)
        if intake is None or math.isnan(total):
            change = dict.fromkeys(_CHANGE_COLUMNS[1:], None)
            row.update(
                {prefix + k: v for k, v in ({_CHANGE_COLUMNS[0]: math.nan} | change).items()}
            )
            continue
        c = ors_change(intake, total)
        values = (c.change, c.reliable_improvement, c.reliable_deterioration,
                  c.clinically_significant)  # fmt: skip
        row.update({prefix + k: v for k, v in zip(_CHANGE_COLUMNS, values, strict=True)})


_CHANGE_COLUMNS = (
    "ors_change_from_intake_points",
    "ors_reliable_improvement",
    "ors_reliable_deterioration",
    "ors_clinically_significant",
)


def client_history(paths: Iterable[Path]) -> tuple[list[dict[str, Any]], list[str]]:
    """Return (rows in session order, problems) for a client's session files.

    Sessions are ordered by their recorded start time; session numbers missing from
    the ratings are counted in that order.
    """
    loaded: list[SessionData] = []
    problems: list[str] = []
    for path in paths:
        try:
            data = load_session(path)
        except SessionFileError as exc:
            problems.append(f"{path}: skipped ({exc})")
            continue
        problems += [f"{path.name}: {p}" for p in data.problems]
        loaded.append(data)
    loaded.sort(key=lambda d: (d.wall_start_ns or 0, d.path.name))
    rows = [session_row(d) for d in loaded]
    for k, row in enumerate(rows, start=1):
        if row["session_number"] is None:
            row["session_number"] = k
    add_ors_change(rows)
    for key in other_clients(rows):  # each other client's change from their own intake
        add_ors_change(rows, f"{key}_")
    return rows, problems


def other_clients(rows: list[dict[str, Any]]) -> list[str]:
    """Return the keys of the clients besides the client whose forms the rows hold (`partner`)."""
    suffix = "_ors_total_0to40"
    return list(
        dict.fromkeys(k.removesuffix(suffix) for r in rows for k in r if k.endswith(suffix))
    )


def write_csv(rows: list[dict[str, Any]], out: str | os.PathLike[str]) -> Path:
    """Write the history table as CSV (empty cell = not available); return its path."""
    from coregulate.security.files import private_output

    out = Path(out)
    # Every row's columns (a session of several clients adds theirs), in first-seen order.
    columns = list(dict.fromkeys(k for row in rows for k in row)) if rows else ["session_file"]
    with private_output(out) as tmp, tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)  # health data: owner-only
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(v) for k, v in row.items()})
    return out


def _cell(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return round(value, 6)
    return value
