"""What `coregulate analyze` says of a session's pairs and of its group as a whole.

A pair's entry is today's dyadic synchrony summary (`pipeline.synchrony_summary`)
naming both people and the lag sign of an ordered pair (`signal/people.py`:
positive = `b` leads). The group entry is the group index over the whole session;
null for two people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

PAIR_LAG_SIGN = "positive = b leads"


def pair_entry(a: str, b: str, synchrony: Mapping[str, Any]) -> dict[str, Any]:
    """Return the `pairs` object of pair (a, b): its names, its lag sign, its synchrony."""
    rest = {k: v for k, v in synchrony.items() if k != "lag_sign"}  # the dyad's wording
    return {"a": a, "b": b, "lag_sign": PAIR_LAG_SIGN, **rest}


def group_index(
    keys: Sequence[str], grids: Mapping[str, np.ndarray], pair_entries: Sequence[Mapping[str, Any]]
) -> dict[str, Any] | None:
    """Return the summary of the group index over the session; None for two people.

    `grids` are the people's heart rate on the synchrony grid (NaN = missing), by key.
    `n_coupled_pairs_above_chance` counts the pairs whose verdict is above chance.
    """
    if len(keys) <= 2:
        return None
    verdicts = [p.get("above_chance") for p in pair_entries]
    return {
        "people": list(keys),
        "n_pairs": len(pair_entries),
        "n_coupled_pairs_above_chance": sum(v is True for v in verdicts),
        "n_pairs_without_verdict": sum(v is None for v in verdicts),
        **_group_index_of(keys, grids),
    }


def _group_index_of(keys: Sequence[str], grids: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Return the group index's value and verdict (the offline group synchrony's summary)."""
    # The offline group index (signal/synchrony, issue 19) takes this place when it lands.
    return {
        "index": None,
        "value": None,
        "chance_95": None,
        "above_chance": None,
        "unavailable": "the offline group index is not computed yet",
    }
