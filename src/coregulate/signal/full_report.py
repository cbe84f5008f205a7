"""The offline full report: NeuroKit2's complete HRV set per person and per segment.

Not on the live path: NeuroKit2 is imported inside :func:`full_report` (importing it
costs about 1.4 s). The beats are first classified and corrected exactly as live
(:func:`coregulate.signal.artifacts.classify_series`), so the report and the
session describe the same NN series.

How NeuroKit2 is called (why in docs/metrics.md):

- ``hrv_time`` and ``hrv_nonlinear`` get ``{"RRI": nn_ms, "RRI_Time": t_s}``. Within a
  contiguous run the times are rebuilt from the corrected intervals, so NeuroKit2
  sees every corrected difference as successive; between runs the real gap stays,
  so it takes no difference across a gap.
- ``hrv_frequency`` gets the longest contiguous run only (interpolating across a gap
  would invent data), with ``normalize=False`` so that powers are in ms².
- ``hrv_nonlinear`` only when the series has at most `max_nonlinear_beats` beats
  (its entropy and fractal indices grow quadratically in time).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from coregulate.signal.artifacts import KIND_NAMES, classify_series, plausible_beats

NS_PER_S = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Segment:
    """A marked part of a session, [start_ns, end_ns) on the session clock."""

    label: str
    start_ns: int
    end_ns: int


def _runs(t_ns: np.ndarray, nn_ms: np.ndarray, gap_before: np.ndarray) -> list[np.ndarray]:
    """Return index arrays of the contiguous runs of kept (non-NaN) intervals."""
    run_id = np.cumsum(gap_before)
    keep = np.isfinite(nn_ms)
    return [np.flatnonzero(keep & (run_id == r)) for r in np.unique(run_id)]


def _nk_input(t_ns: np.ndarray, nn_ms: np.ndarray, runs: list[np.ndarray]) -> dict[str, Any]:
    rri, rri_time = [], []
    for idx in runs:
        if idx.size == 0:
            continue
        nn = nn_ms[idx]
        start_s = t_ns[idx[0]] / NS_PER_S
        rri.append(nn)
        rri_time.append(start_s + (np.cumsum(nn) - nn[0]) / 1000.0)
    return {"RRI": np.concatenate(rri), "RRI_Time": np.concatenate(rri_time)}


def _frame_to_dict(frame: Any) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for key, value in frame.iloc[0].items():
        v = float(value)
        out[str(key)] = v if math.isfinite(v) else None
    return out


def hrv_report(
    t_ns: np.ndarray,
    nn_ms: np.ndarray,
    gap_before: np.ndarray,
    kind: np.ndarray,
    max_nonlinear_beats: int = 1200,
    min_beats: int = 30,
) -> dict[str, Any]:
    """Return NeuroKit2's HRV indices of one stretch of corrected beats.

    Parameters
    ----------
    t_ns, nn_ms, gap_before, kind
        Classified beats (NaN ``nn_ms`` for a dropped extra detection).
    max_nonlinear_beats
        Longest series for which ``hrv_nonlinear`` runs.
    min_beats
        Fewest kept intervals for any index.
    """
    import neurokit2 as nk  # lazily: the live path never needs it

    kept = int(np.count_nonzero(np.isfinite(nn_ms)))
    out: dict[str, Any] = {
        "n_beats": len(nn_ms),
        "artifacts": {KIND_NAMES[k]: int(np.count_nonzero(kind == k)) for k in range(1, 6)},
        "artifact_share": float(np.count_nonzero(kind != 0)) / max(1, len(kind)),
        "time": None,
        "frequency": None,
        "nonlinear": None,
        "skipped": {},
        "warnings": [],
    }
    if kept < min_beats:
        out["skipped"]["all"] = f"{kept} intervals (needs {min_beats})"
        return out
    runs = _runs(t_ns, nn_ms, gap_before)
    data = _nk_input(t_ns, nn_ms, runs)
    longest = max(runs, key=len)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _domain(out, "time", lambda: nk.hrv_time(data))
        if longest.size >= min_beats:
            freq_data = _nk_input(t_ns, nn_ms, [longest])
            _domain(out, "frequency", lambda: nk.hrv_frequency(freq_data, normalize=False))
            out["frequency_run_s"] = float(freq_data["RRI_Time"][-1] - freq_data["RRI_Time"][0])
        else:
            out["skipped"]["frequency"] = f"longest contiguous run has {longest.size} beats"
        if kept <= max_nonlinear_beats:
            _domain(out, "nonlinear", lambda: nk.hrv_nonlinear(data))
        else:
            out["skipped"]["nonlinear"] = (
                f"{kept} intervals (more than {max_nonlinear_beats}): too slow; "
                f"report a segment instead"
            )
    out["warnings"] = sorted({str(w.message) for w in caught})
    return out


def _domain(out: dict[str, Any], name: str, compute: Any) -> None:
    """Put one NeuroKit2 domain's values in `out`, or why it could not be computed.

    NeuroKit2 divides by the spread of the intervals in places (e.g. the Poincaré
    indices): on degenerate input, such as perfectly regular intervals, it raises
    instead of returning NaN. That domain is then skipped with the reason; the
    others are still reported.
    """
    try:
        out[name] = _frame_to_dict(compute())
    except (ArithmeticError, ValueError, IndexError) as exc:
        out["skipped"][name] = f"NeuroKit2 could not compute it on these intervals ({exc!r})"


def accepted_beats(
    t_ns: Any, rr_ms: Any, gap_before: Any | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Return (t_ns, rr_ms, gap_before, n_rejected) without implausible intervals.

    The same rule as live (:func:`~coregulate.signal.artifacts.plausible_beats`):
    a rejected interval enters nothing and the next beat starts a new run.
    """
    t_in = np.asarray(t_ns, dtype=np.int64)
    rr_in = np.asarray(rr_ms, dtype=float)
    g_in = np.zeros(t_in.size, bool) if gap_before is None else np.asarray(gap_before, bool)
    keep, gap = plausible_beats(t_in, rr_in, g_in)
    return t_in[keep], rr_in[keep], gap[keep], int(t_in.size - keep.sum())


def full_report(
    beats: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray | None]],
    segments: Sequence[Segment] = (),
    max_nonlinear_beats: int = 1200,
) -> dict[str, Any]:
    """Return the full HRV report for each person, whole recording and per segment.

    Parameters
    ----------
    beats
        Role to ``(t_ns, rr_ms, gap_before)`` of the whole recording (``gap_before``
        may be None for a gap-free series).
    segments
        Marked parts; each is reported for every person.
    max_nonlinear_beats
        Longest series for which nonlinear indices are computed.

    Returns
    -------
    dict
        ``{role: {"whole": report, "segments": {label: report},
        "rejected_intervals": n}}``, each report as
        :func:`hrv_report` gives it: NeuroKit2 column names (``HRV_RMSSD``, ...),
        None for a value NeuroKit2 returns as NaN.
    """
    result: dict[str, Any] = {}
    for role, (t_ns, rr_ms, gap) in beats.items():
        t, rr, g, n_rejected = accepted_beats(t_ns, rr_ms, gap)
        kind, nn = classify_series(t, rr, g)
        person: dict[str, Any] = {
            "whole": hrv_report(t, nn, g, kind, max_nonlinear_beats),
            "segments": {},
            "rejected_intervals": n_rejected,
        }
        for seg in segments:
            sel = (t >= seg.start_ns) & (t < seg.end_ns)
            gs = g[sel].copy()
            if gs.size:
                gs[0] = True
            person["segments"][seg.label] = hrv_report(
                t[sel], nn[sel], gs, kind[sel], max_nonlinear_beats
            )
        result[role] = person
    return result
