"""Session-level numbers for the report and the history: quality, states, synchrony, markers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from coregulate.recordings.summary import PersonSummary
from coregulate.review.session_data import PersonSeries, SessionData
from coregulate.sessionfile.markers import MARKER_CATEGORIES
from coregulate.signal.baseline import STATES
from coregulate.signal.dyad import DEFAULT_BASELINE_S


def nanmean(values: np.ndarray) -> float:
    """Return the mean of the finite values, or NaN when there are none."""
    finite = values[np.isfinite(values)] if values.size else values
    return float(finite.mean()) if finite.size else math.nan


def summarize_series(role: str, person: PersonSeries) -> PersonSummary:
    """Return a person's session summary from their recorded metrics: means, states, quality."""
    hr = person.hr_bpm
    return PersonSummary(
        role,
        n_beats=person.n_beats,
        mean_hr_bpm=nanmean(hr),
        mean_ln_rmssd_ln_ms=nanmean(person.ln_rmssd),
        mean_arousal_index_z=(
            nanmean(person.arousal_index) if person.arousal_index is not None else None
        ),
        artifact_share_0to1=nanmean(person.artifact_share),
        state_shares_0to1=state_shares(person),
        hr_unavailable_share_0to1=float(np.mean(~np.isfinite(hr))) if hr.size else math.nan,
        n_gaps=len(person.gaps),
        gaps_s=float(sum(end - start for start, end in person.gaps)),
    )


def baseline_band(person: PersonSeries, key: str) -> tuple[float, float, str] | None:
    """Return (mean, sd, source) of a person's baseline for "hr_bpm" or "ln_rmssd".

    The baseline profile recorded with the metrics when there is one (source
    "baseline"); else the default resting period, the first `DEFAULT_BASELINE_S`
    (source "first 3 min"), so the page can say which it drew. None without data.
    """
    profile = person.baseline
    if profile and isinstance(profile.get(f"{key}_mean"), int | float):
        return float(profile[f"{key}_mean"]), float(profile.get(f"{key}_sd") or 0.0), "baseline"
    values = getattr(person, key)[person.t_s <= DEFAULT_BASELINE_S]
    values = values[np.isfinite(values)]
    if values.size < 3:
        return None
    return float(values.mean()), float(values.std()), f"first {DEFAULT_BASELINE_S / 60:g} min"


def state_shares(person: PersonSeries) -> dict[str, float] | None:
    """Return the share of the session spent in each state (0-1), or None without states."""
    seconds = person.time_in_state_s()
    if not seconds:
        return None
    total = sum(seconds.values())
    return {k: (v / total if total else math.nan) for k, v in seconds.items()}


def sync_summary(data: SessionData) -> dict[str, Any]:
    """Return the final HR synchrony numbers (ES, p, mean peak z, lag, leader shares)."""
    final = data.sync.final if data.sync else None
    if not final:
        return {}
    out: dict[str, Any] = {}
    summary = final.get("summary") or {}
    susy = final.get("susy") or {}
    out["mean_peak_z"] = summary.get("mean_peak_z")
    out["median_peak_lag_s"] = summary.get("median_peak_lag_s")
    out["share_therapist_leads"] = summary.get("share_therapist_leads")
    out["share_client_leads"] = summary.get("share_client_leads")
    out["susy_es"] = (susy.get("z") or {}).get("es")
    out["susy_p"] = susy.get("p_above_chance")
    out["n_surrogates"] = susy.get("n_surrogates")
    out["concordance_ci"] = (final.get("concordance") or {}).get("ci")
    out["above_chance"] = susy.get("above_chance")
    out["verdict"] = chance_verdict(final)
    return out


NOT_RECORDED = "this file's synchrony carries none (recorded before the chance test existed)"


def chance_verdict(final: dict[str, Any]) -> str:
    """Return the session's synchrony verdict against chance in words, or why there is none.

    "above chance (p 0.012)", "not above chance (p 0.310)", or "no verdict yet: "
    with the sync stage's reason (`susy.above_chance_unavailable`, else the
    `unavailable` entry for "above_chance" or "susy"; docs/protocol.md).
    """
    susy = final.get("susy") or {}
    verdict, p = susy.get("above_chance"), susy.get("p_above_chance")
    if isinstance(verdict, bool):
        p_text = f" (p {p:.3f})" if isinstance(p, int | float) else ""
        return ("above chance" if verdict else "not above chance") + p_text
    unavailable = final.get("unavailable") or {}
    reason = (
        susy.get("above_chance_unavailable")
        or unavailable.get("above_chance")
        or unavailable.get("susy")
    )
    if reason:
        return f"no verdict yet: {reason}"
    return f"no verdict: {NOT_RECORDED}"


def window_chance_counts(data: SessionData) -> tuple[int, int]:
    """Return (windows above their chance band, windows with a chance verdict)."""
    if data.sync is None or data.sync.above_chance is None:
        return 0, 0
    verdicts = data.sync.above_chance[np.isfinite(data.sync.above_chance)]
    return int(np.count_nonzero(verdicts == 1.0)), int(verdicts.size)


def marker_counts(data: SessionData) -> dict[str, int]:
    """Return how many rupture, repair and note markers the session has."""
    counts = dict.fromkeys(MARKER_CATEGORIES, 0)
    for m in data.markers:
        counts[m.category] += 1
    return counts


__all__ = [
    "STATES",
    "baseline_band",
    "chance_verdict",
    "marker_counts",
    "nanmean",
    "state_shares",
    "summarize_series",
    "sync_summary",
    "window_chance_counts",
]
