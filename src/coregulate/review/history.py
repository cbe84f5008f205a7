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
from coregulate.alliance.rating import Rating
from coregulate.review.quality import marker_counts, summarize_series, sync_summary
from coregulate.review.session_data import SessionData, load_session
from coregulate.sessionfile.access import SessionFileError
from coregulate.signal.dyad import ROLES

log = logging.getLogger(__name__)


def _client_rating(ratings: list[Rating], name: str, phase: str) -> Rating | None:
    """Return the client's rating of `name`, the last one of `phase` if several."""
    mine = [r for r in ratings if r.score.instrument == name and r.rater == "client"]
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
    ors = _client_rating(data.ratings, "ORS", "start")
    srs = _client_rating(data.ratings, "SRS", "end")
    wai = _client_rating(data.ratings, "WAI-SR", "end")
    numbers = [r.session_number for r in data.ratings if r.session_number is not None]
    row["session_number"] = numbers[0] if numbers else None
    row["ors_total_0to40"] = ors.score.total if ors else math.nan
    row["ors_clinical_range"] = ors.score.flags["clinical_range"] if ors else None
    row["srs_total_0to40"] = srs.score.total if srs else math.nan
    row["srs_concern"] = srs.score.flags["concern"] if srs else None
    for key in ("total", "task", "bond", "goal"):
        value = (wai.score.total if key == "total" else wai.score.subscales[key]) if wai else None
        row[f"wai_sr_{key}_sum"] = value if value is not None else math.nan
    row["wai_sr_total_mean_1to5"] = wai.score.subscales["total_mean"] if wai else math.nan
    for role in ROLES:
        row.update(_role_columns(data, role))
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


def _float(value: object) -> float:
    return float(value) if isinstance(value, int | float) else math.nan


def add_ors_change(rows: list[dict[str, Any]]) -> None:
    """Add, in place, each row's ORS change from the first ORS of the history and its flags."""
    intake = next(
        (r["ors_total_0to40"] for r in rows if not math.isnan(r["ors_total_0to40"])), None
    )
    for row in rows:
        total = row["ors_total_0to40"]
        if intake is None or math.isnan(total):
            row.update(
                ors_change_from_intake_points=math.nan,
                ors_reliable_improvement=None,
                ors_reliable_deterioration=None,
                ors_clinically_significant=None,
            )
            continue
        c = ors_change(intake, total)
        row.update(
            ors_change_from_intake_points=c.change,
            ors_reliable_improvement=c.reliable_improvement,
            ors_reliable_deterioration=c.reliable_deterioration,
            ors_clinically_significant=c.clinically_significant,
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
    return rows, problems


def write_csv(rows: list[dict[str, Any]], out: str | os.PathLike[str]) -> Path:
    """Write the history table as CSV (empty cell = not available); return its path."""
    from coregulate.security.files import private_output

    out = Path(out)
    columns = list(rows[0]) if rows else ["session_file"]
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
