"""Offline dyadic synchrony of a whole session, with the same kernels as the live path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from coregulate.signal.synchrony.grid import interpolate_on_grid
from coregulate.signal.synchrony.params import NS_PER_S, SyncParams
from coregulate.signal.synchrony.phase import phase_synchrony
from coregulate.signal.synchrony.track import SynchronyTrack


@dataclass(frozen=True, eq=False)
class SynchronyReport:
    """A session's synchrony: every step's update, the final statistics, phase synchrony.

    Attributes
    ----------
    updates : list of dict
        One `sync` update per step, exactly as the live path publishes them.
    final : dict
        The last update (session summary, SUSY, concordance), plus ``phase`` and
        ``unavailable["phase"]`` when phase synchrony was computed.
    therapist, client : numpy.ndarray
        Both people's series on the common grid (NaN = missing).
    """

    updates: list[dict[str, Any]]
    final: dict[str, Any]
    therapist: np.ndarray
    client: np.ndarray


def grid_series(
    events: dict[str, tuple[np.ndarray, np.ndarray]], params: SyncParams, end_ns: int
) -> dict[str, np.ndarray]:
    """Return each role's values on the grid 0, period, ... up to `end_ns` (inclusive)."""
    n = end_ns // params.period_ns + 1 if end_ns >= 0 else 0
    grid_t = np.arange(n, dtype=np.int64) * params.period_ns
    hold_ns = round(params.max_hold_s * NS_PER_S)
    out = {}
    for role, (t, v) in events.items():
        order = np.argsort(t, kind="stable")  # time order, ties in arrival order (as live)
        out[role] = interpolate_on_grid(np.asarray(t)[order], np.asarray(v)[order], grid_t, hold_ns)
    return out


def synchrony_offline(
    events: dict[str, tuple[np.ndarray, np.ndarray]],
    params: SyncParams,
    end_ns: int,
    series: str = "hr_bpm",
    phase: bool = True,
) -> SynchronyReport:
    """Return the synchrony of a whole session from each person's (t_ns, value) events.

    Parameters
    ----------
    events : dict
        ``{"client": (t_ns, value), "therapist": (t_ns, value)}`` in arrival order;
        for beats, the output of `grid.beat_events`.
    params : SyncParams
        Settings (the live stage publishes the ones it used in every message).
    end_ns : int
        Last session time to include.
    series : str
        Name carried in the updates.
    phase : bool
        Also compute Hilbert phase synchrony (NeuroKit2; offline only).

    Examples
    --------
    >>> t = np.arange(0, 120_000_000_000, 500_000_000)
    >>> v = np.sin(t / 5e9)
    >>> rep = synchrony_offline({"client": (t, v), "therapist": (t, v)}, SyncParams(),
    ...                         int(t[-1]), phase=False)
    >>> rep.final["window"]["peak_lag_s"]
    0.0
    """
    grid = grid_series(events, params, end_ns)
    return grid_report(grid["therapist"], grid["client"], params, series, phase)


def grid_report(
    therapist: np.ndarray,
    client: np.ndarray,
    params: SyncParams,
    series: str = "hr_bpm",
    phase: bool = True,
) -> SynchronyReport:
    """Return the synchrony of two people's whole grid series (`grid_series`).

    The dyad's `synchrony_offline` and each pair of a group (`pairs_offline`, the
    later person in the therapist's slot) both end here.
    """
    track = SynchronyTrack(params, series)
    updates = track.extend(therapist, client)
    final = dict(updates[-1]) if updates else {"series": series, "unavailable": {}}
    final["unavailable"] = dict(final.get("unavailable", {}))
    if not updates:
        final["unavailable"]["window"] = "the session is shorter than one step"
    if phase:
        stats, reason = phase_synchrony(therapist, client, params.grid_hz, params.phase_band_hz)
        final["phase"] = stats
        if reason:
            final["unavailable"]["phase"] = reason
    return SynchronyReport(updates, final, therapist, client)
