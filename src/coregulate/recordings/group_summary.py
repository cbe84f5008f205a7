"""What `coregulate analyze` says of a session's pairs and of its group as a whole.

A pair's entry is today's dyadic synchrony summary (`pipeline.synchrony_summary`)
naming both people and the lag sign of an ordered pair (`signal/people.py`:
positive = `b` leads). The group entry is the group index over the whole session
(`signal/synchrony/group_offline.py`: cluster-phase rho with its chance verdict);
null for two people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from coregulate.signal.synchrony import GROUP_PARAMS, HR_PARAMS
from coregulate.signal.synchrony.group_offline import (
    group_from_grids,
    group_session_summary,
    group_with_pairs,
)

PAIR_LAG_SIGN = "positive = b leads"


def pair_entry(a: str, b: str, synchrony: Mapping[str, Any]) -> dict[str, Any]:
    """Return the `pairs` object of pair (a, b): its names, its lag sign, its synchrony."""
    rest = {k: v for k, v in synchrony.items() if k != "lag_sign"}  # the dyad's wording
    return {"a": a, "b": b, "lag_sign": PAIR_LAG_SIGN, **rest}


def group_updates(
    keys: Sequence[str],
    grids: Mapping[str, np.ndarray],
    pair_updates: Mapping[tuple[str, str], Sequence[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """Return the `sync.group` updates over the session (none unless everyone has beats).

    `grids` are the people's heart rate on the synchrony grid by key (the pair
    reports' arrays); `pair_updates` each pair's heart-rate updates, which count the
    pairs above chance at each step (`group_offline.group_from_grids`).
    """
    if any(key not in grids for key in keys):
        return []
    ordered = {key: grids[key] for key in keys}
    return group_from_grids(ordered, HR_PARAMS, GROUP_PARAMS, pair_updates)


def group_summary(
    keys: Sequence[str],
    updates: Sequence[dict[str, Any]],
    pair_entries: Sequence[Mapping[str, Any]],
) -> dict[str, Any] | None:
    """Return `analyze`'s `group`: the group index's session summary; None for two people.

    The index's value and verdict are `group_offline.group_session_summary`'s;
    `n_pairs` and `n_pairs_without_verdict` count the pairs beside it
    (`group_offline.group_with_pairs`, which the live stage's final `sync.group` uses too).
    """
    if len(keys) <= 2:
        return None
    verdicts = [p.get("above_chance") for p in pair_entries]
    out = group_with_pairs(keys, group_session_summary(updates), verdicts)
    if not updates:
        everyone = "it needs the beats of everyone in the session"
        out["unavailable"] = {"value": everyone, "above_chance": everyone}
    return out
