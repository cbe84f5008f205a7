"""Offline synchrony of every pair and the group: the live stage's updates, from whole arrays.

Each person's beats are classified and put on the grid once (`grid.beat_events`,
`offline.grid_series`); every pair (a, b) of `signal.people.pairs` then runs the
dyad's `SynchronyTrack` on (b, a) (positive lag = b leads) and, with three or more
people, `GroupTrack` runs on everyone's grid. The same kernels on the same numbers
in the same order as `LiveSynchrony`, so each pair's and the group's updates equal
what the live sync stage publishes on `sync.<a>.<b>` and `sync.group`
(`tests/test_group_sync.py`), as `offline.synchrony_offline` does for the dyad.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coregulate.signal.people import pairs
from coregulate.signal.synchrony.grid import beat_events
from coregulate.signal.synchrony.group import GROUP_PARAMS, GroupParams
from coregulate.signal.synchrony.group_track import GroupTrack
from coregulate.signal.synchrony.offline import SynchronyReport, grid_report, grid_series
from coregulate.signal.synchrony.params import HR_PARAMS, SyncParams

Pair = tuple[str, str]
LAG_SIGN = "positive = b leads"


@dataclass(frozen=True, eq=False)
class GroupReport:
    """Every pair's `SynchronyReport` (updates as live), and the group's updates."""

    keys: tuple[str, ...]
    pairs: dict[Pair, SynchronyReport]
    group_updates: list[dict[str, Any]] = field(default_factory=list)

    @property
    def group_final(self) -> dict[str, Any] | None:
        """Return the group's last update (its `summary` is the session's), or None."""
        return self.group_updates[-1] if self.group_updates else None


def pairs_offline(
    events: Mapping[str, tuple[np.ndarray, np.ndarray]],
    params: SyncParams,
    end_ns: int,
    series: str = "hr_bpm",
    phase: bool = False,
    group: GroupParams | None = None,
    only: Sequence[Pair] | None = None,
) -> GroupReport:
    """Return the synchrony of every pair (and the group) from each person's events.

    Parameters
    ----------
    events : mapping
        ``{key: (t_ns, value)}`` in session order (the keys' order gives the pairs);
        for beats, `grid.beat_events` of each person.
    params : SyncParams
        As the live stage's (published in every message).
    end_ns : int
        Last session time to include (the newest beat, as live at the end).
    series : str
        Name carried in the updates.
    phase : bool
        Add each pair's Hilbert phase synchrony to its final statistics.
    group : GroupParams or None
        With 3 or more people, also the group index.
    only : sequence of pairs or None
        Just these pairs (each ``(a, b)`` of `signal.people.pairs`, both in `events`),
        without the group: the analysis splits the pairs between two cores.
    """
    keys = tuple(events)
    grid = grid_series(dict(events), params, end_ns)
    wanted = pairs(keys) if only is None else list(only)
    reports = {(a, b): grid_report(grid[b], grid[a], params, series, phase) for a, b in wanted}
    group_updates: list[dict[str, Any]] = []
    if group is not None and len(keys) > 2 and only is None:
        pair_updates = {pair: report.updates for pair, report in reports.items()}
        group_updates = group_from_grids(grid, params, group, pair_updates)
    return GroupReport(keys, reports, group_updates)


def group_from_grids(
    grids: Mapping[str, np.ndarray],
    params: SyncParams = HR_PARAMS,
    group: GroupParams = GROUP_PARAMS,
    pair_updates: Mapping[Pair, Sequence[dict[str, Any]]] | None = None,
) -> list[dict[str, Any]]:
    """Return the `sync.group` updates of the people's heart rate on the synchrony grid.

    `grids`: ``{key: grid series}`` in session order, all the same length (e.g. a
    pair report's ``client`` / ``therapist`` arrays); `pair_updates`: each pair's
    heart-rate updates, to count the pairs above chance at each step (0 without).
    The updates equal the live stage's `sync.group` messages (less ``final``).
    """
    keys = tuple(grids)
    updates = GroupTrack(params, group, keys).extend(np.stack([grids[k] for k in keys]))
    verdicts = {
        (pair, u["t_ns"]): (u["susy"] or {}).get("above_chance") is True
        for pair, pair_list in (pair_updates or {}).items()
        for u in pair_list
    }
    for update in updates:
        update["n_coupled_pairs_above_chance"] = sum(
            verdicts.get((pair, update["t_ns"]), False) for pair in (pair_updates or {})
        )
    return updates


def group_session_summary(updates: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Return what `analyze` reports of the group index: the session's value and verdict.

    ``value`` is the mean rho of the available windows (``summary.mean_value``),
    ``above_chance`` / ``p_above_chance`` the session verdict against circular
    shifts of each person's blocks (docs/synchrony.md, section 6), ``chance_95`` the
    last window band, ``share_windows_above_chance`` the share of banded windows
    above their band; null values carry their reason in ``unavailable``.
    """
    if not updates:
        return {
            "index": GROUP_PARAMS.index,
            "value": None,
            "above_chance": None,
            "unavailable": {"value": "the session is shorter than one step"},
        }
    band = next((u["chance_95"] for u in reversed(updates) if u["chance_95"] is not None), None)
    return session_summary_of(updates[-1], band)


def no_verdict_reason(session: dict[str, Any], window_s: float, min_blocks: object) -> str:
    """Return why a group's session has no verdict against chance, from its `session` dict.

    Too few gap-free blocks; or enough for a p but too few circular shifts for p to
    be small enough (5 blocks of 3 people allow 12: p is at least 1/13 = 0.077).
    """
    k, shifts = session.get("n_blocks", 0), session.get("n_surrogates")
    blocks = f"{k} gap-free block(s) of {window_s:g} s"
    if shifts:
        return (
            f"{blocks} allow only {shifts} circular shifts of the people's blocks, so p "
            f"cannot fall below {1 / (1 + shifts):.3f}: too few for a verdict "
            "(a longer session gives one)"
        )
    return f"{blocks} (a verdict needs at least {min_blocks}, and one per person)"


def session_summary_of(last: dict[str, Any], band: float | None) -> dict[str, Any]:
    """Return `group_session_summary` from the last update and the last band given.

    The live stage keeps only these two (`stages/sync_stage.py`, its final message).
    """
    summary, session = last["summary"], last["session"]
    unavailable = {}
    # The window and the blocks needed are the session's own settings (its params).
    if summary["mean_value"] is None:
        unavailable["value"] = (
            f"no window with everyone's heart rate ({last['window_s']:g} s without gaps)"
        )
    if session["above_chance"] is None:
        unavailable["above_chance"] = no_verdict_reason(
            session, last["window_s"], last["params"]["chance_min_blocks"]
        )
    return {
        "index": last["index"],
        "series": last["series"],
        "people": last["people"],
        "window_s": last["window_s"],
        "value": summary["mean_value"],
        "n_windows": summary["n_windows"],
        "n_available": summary["n_available"],
        "chance_95": band,
        "share_windows_above_chance": summary["share_above_chance"],
        "above_chance": session["above_chance"],
        "p_above_chance": session["p_above_chance"],
        "n_blocks": session["n_blocks"],
        "n_surrogates": session.get("n_surrogates", 0),
        "n_coupled_pairs_above_chance": last["n_coupled_pairs_above_chance"],
        "unavailable": unavailable,
        "params": last["params"],
    }


def group_with_pairs(
    keys: Sequence[str], session_summary: dict[str, Any], verdicts: Sequence[bool | None]
) -> dict[str, Any]:
    """Return `analyze`'s `group`: the session summary with the pairs' session verdicts counted.

    `verdicts` are the pairs' heart-rate verdicts (``above_chance`` of their final
    statistics; None: no verdict), one per pair of the session.
    """
    out = dict(session_summary)
    out["people"] = list(keys)
    out["n_pairs"] = len(verdicts)
    out["n_coupled_pairs_above_chance"] = sum(v is True for v in verdicts)
    out["n_pairs_without_verdict"] = sum(v is None for v in verdicts)
    return out


def _beat_arrays(beats: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (t_ns, rr_ms, gap_before) of a (t, rr, gap) tuple or a BeatSeries-like object."""
    if isinstance(beats, Sequence):
        t_ns, rr_ms, gap_before = beats
    else:
        t_ns, rr_ms, gap_before = beats.t_ns, beats.rr_ms, beats.gap_before
    return np.asarray(t_ns, np.int64), np.asarray(rr_ms, float), np.asarray(gap_before, bool)


def group_synchrony(
    beats_by_key: Mapping[str, Any],
    params: SyncParams = HR_PARAMS,
    group_params: GroupParams = GROUP_PARAMS,
    phase: bool = False,
    updates: bool = False,
) -> dict[str, Any]:
    """Return the heart-rate synchrony of every pair and the group, from each person's beats.

    Parameters
    ----------
    beats_by_key : mapping
        ``{key: beats}`` in session order; beats are ``(t_ns, rr_ms, gap_before)``
        arrays or an object with those attributes (a `BeatSeries`).
    params, group_params : SyncParams, GroupParams
        As the live stage's.
    phase : bool
        Add each pair's Hilbert phase synchrony (NeuroKit2) to its ``final``.
    updates : bool
        Also return every step's update (as live) under ``updates``.

    Returns
    -------
    dict
        ``pairs``: one ``{"a", "b", "lag_sign", "final"[, "updates"]}`` per pair in
        session order (``final`` = the last `sync` update: ``summary``, ``susy``,
        ``concordance``, ...); ``group``: ``{"final", "summary"[, "updates"]}``
        (``final`` = the last `sync.group` update, ``summary`` =
        `group_session_summary`) or None for two people.
    """
    arrays = {key: _beat_arrays(b) for key, b in beats_by_key.items()}
    ends = [int(t[-1]) for t, _, _ in arrays.values() if t.size]
    events = {key: beat_events(*a, kind="hr_bpm") for key, a in arrays.items()}
    report = pairs_offline(events, params, max(ends) if ends else -1, "hr_bpm", phase, group_params)
    out_pairs = []
    for (a, b), rep in report.pairs.items():
        entry: dict[str, Any] = {"a": a, "b": b, "lag_sign": LAG_SIGN, "final": rep.final}
        if updates:
            entry["updates"] = rep.updates
        out_pairs.append(entry)
    group: dict[str, Any] | None = None
    if len(report.keys) > 2:
        group = {
            "final": report.group_final,
            "summary": group_session_summary(report.group_updates),
        }
        if updates:
            group["updates"] = report.group_updates
    return {"pairs": out_pairs, "group": group}
