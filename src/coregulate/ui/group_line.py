"""The calm view's group synchrony line (3-6 people): the group index and the closest pair.

The same rules as the dyad's line (`sync_line.py`): it summarises the last 2
minutes, is recomputed only at each 30 s step of session time, and names a leader
only with the backing of most windows. It says:

- the group index (`sync.group`, e.g. the cluster-phase ρ) as its median over the
  2 minutes, and "above chance" or "chance level" against the median of its own
  95 % chance level;
- the pair whose heart rates moved together most clearly: of the pairs whose median
  peak r is above their windows' chance band (and whose session so far is not
  below chance, SUSY), the one with the highest median r, and who leads in it.
  With none: "no pair above chance".

Qt-free: the group strip calls `summarise_group` with the model.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np

from coregulate.palette import person_name
from coregulate.signal import people as ppl
from coregulate.ui.model import SessionModel
from coregulate.ui.sync_line import (
    MIN_COVERAGE,
    SUMMARY_S,
    WINDOW_STEP_S,
    SyncSummary,
    summarise_sync,
)

INDEX_SYMBOLS: Final = {"cluster_phase_rho": "ρ"}


def _recent(t_s: np.ndarray, at_s: float) -> np.ndarray:
    return (t_s > at_s - SUMMARY_S) & (t_s <= at_s)


def _needed() -> int:
    return math.ceil(MIN_COVERAGE * SUMMARY_S / WINDOW_STEP_S)


def group_words(model: SessionModel, at_s: float) -> tuple[str, str]:
    """Return the group index's line ("group ρ 0.41 · above chance") and its tooltip."""
    buf = model.group.windows
    keep = _recent(buf.t_s, at_s)
    values = buf.column("value")[keep]
    values = values[np.isfinite(values)]
    index = str(model.group.latest.get("index") or "group index")
    if values.size < _needed():
        why = (model.group.latest.get("unavailable") or {}).get("value")
        if keep.sum() >= _needed() and why:  # the windows came, without a value
            return "group: not available", f"The group index is not available: {why}."
        return "group: gathering 2 minutes", f"{values.size} of {_needed()} windows so far."
    median = float(np.median(values))
    chance = buf.column("chance_95")[keep]
    chance = chance[np.isfinite(chance)]
    if chance.size == 0:
        word = "no chance level yet"
    else:
        word = "above chance" if median > float(np.median(chance)) else "chance level"
    symbol = INDEX_SYMBOLS.get(index, index)
    tip = f"The group index ({index}) over the last 2 minutes: median {median:.2f}" + (
        f", its 95 % chance level {float(np.median(chance)):.2f}." if chance.size else "."
    )
    session = (model.group.latest.get("session") or {}).get("above_chance")
    if isinstance(session, bool):
        tip += f" The session so far is {'' if session else 'not '}above chance."
    return f"group {symbol} {median:.2f} · {word}", tip


def closest_pair(model: SessionModel, at_s: float) -> tuple[tuple[str, str] | None, float, str]:
    """Return the above-chance pair with the highest median peak r, that r, and the reasons."""
    best: tuple[str, str] | None = None
    best_r = -math.inf
    reasons = []
    for a, b in ppl.pairs(model.keys):
        sync = model.pair(a, b)
        if sync is None:
            continue
        buf = sync.windows
        keep = _recent(buf.t_s, at_s)
        r = buf.column("peak_r")[keep]
        r = r[np.isfinite(r)]
        if r.size < _needed():
            continue
        median_r = float(np.median(r))
        band = buf.column("chance_abs_r95")[keep]
        band = band[np.isfinite(band)]
        session = (sync.latest.get("susy") or {}).get("above_chance")
        # Without a chance band per window, only the session's verdict (SUSY) counts.
        above = median_r > float(np.median(band)) if band.size else session is True
        above = above and session is not False
        reasons.append(
            f"{person_name(a)} & {person_name(b)}: r {median_r:+.2f}"
            + (" (above chance)" if above else "")
        )
        if above and median_r > best_r:
            best, best_r = (a, b), median_r
    return best, best_r, "; ".join(reasons)


def summarise_group(model: SessionModel, at_s: float) -> SyncSummary:
    """Return the group line for the windows in (`at_s` − 2 min, `at_s`]."""
    group_line, group_tip = group_words(model, at_s)
    pair, r, reasons = closest_pair(model, at_s)
    head = "Group synchrony, last 2 min"
    tip = f"{group_tip} Pairs, median peak r over 2 minutes: {reasons or 'none yet'}."
    tip += " Synchrony is information, not a goal: higher is not better."
    if pair is None:
        return SyncSummary(f"{head}\n{group_line}\nno pair above chance", None, tip)
    a, b = pair
    sync = model.pair(a, b)
    assert sync is not None  # closest_pair found windows for it
    names = (person_name(a), person_name(b))
    lead = summarise_sync(sync, at_s, names)
    lead_words = lead.text.rsplit("\n", 1)[-1]
    text = f"{head}\n{group_line}\nclosest: {names[0]} & {names[1]}, r {r:+.2f}\n{lead_words}"
    return SyncSummary(text, lead.leader, f"{tip} {lead.tip}")
