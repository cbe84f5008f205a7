"""`analyze --batch --pseudo-pairs N`: every pair of every session against strangers' pairs.

Each result that carries its people's heart-rate grids (`HR_GRID`, set by
`commands/analyze.py`) takes part, dyads and sessions of 3-6 people alike: pair
(a, b) of a session is compared with a and the people who have b's key (the same
role) in N other sessions (`signal.synchrony.pseudo_pairs.pseudo_partner_null`;
docs/synchrony.md, "The pseudo-pair null"). A dyad's null goes where it always
went, ``synchrony.pseudo_pairs`` (with ``pseudo_therapist_dyads``); a group's pair
gets ``pseudo_pairs`` in its own `pairs` entry (with ``pseudo_partner_sessions``).
A batch of dyads alone gets the numbers it got before groups took part.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from coregulate.recordings.analysis import HR_GRID
from coregulate.signal.synchrony import HR_PARAMS
from coregulate.signal.synchrony.pseudo_pairs import PairMap, PseudoPerson, pseudo_partner_null

_DYAD_METHOD = (
    "client of this dyad with the therapists of N other dyads, roles kept, "
    "aligned from session start, trimmed to the shorter (docs/synchrony.md, section 3)"
)
_PAIR_METHOD = (
    "a of this pair with the people who have b's key in N other sessions, roles kept, "
    "aligned from session start, trimmed to the shorter (docs/synchrony.md, section 3)"
)


def add_pseudo_pair_null(
    results: list[dict[str, Any]],
    n_pseudo: int,
    mapper: Callable[[Sequence[np.ndarray]], PairMap] | None = None,
) -> None:
    """Add every pair's synchrony against its own pseudo pairs (and the pooled ones), in place.

    The grids are removed from the results. `mapper`, given every person's grid
    series, returns the function that computes the pair statistics for (b person,
    a person) index pairs (e.g. as Dask tasks); the numbers are the same as the loop's.
    """
    people: list[PseudoPerson] = []
    units: list[tuple[int, int]] = []
    places: list[tuple[int, int | None]] = []  # (result, its pairs entry; None: the dyad's)
    for k, result in enumerate(results):
        grids = result.pop(HR_GRID, None)
        if grids is None:
            continue
        index = {}
        for key, series in grids.items():
            index[key] = len(people)
            people.append(PseudoPerson(k, key, series))
        dyad = result.get("group") is None
        for j, entry in enumerate(result.get("pairs") or []):
            a, b = entry["a"], entry["b"]
            if a in index and b in index:
                units.append((index[a], index[b]))
                places.append((k, None if dyad else j))
            elif not dyad:
                entry["pseudo_pairs"] = {"unavailable": "someone of this pair has no beats"}
    map_pairs = mapper([p.series for p in people]) if mapper is not None else None
    nouns = ["pseudo dyads" if j is None else "pseudo pairs" for _, j in places]
    null = pseudo_partner_null(people, units, HR_PARAMS, n_pseudo, HR_PARAMS.seed, map_pairs, nouns)
    for (k, j), entry in zip(places, null["pairs"], strict=True):
        rows = [people[p].session + 1 for p in entry["pseudo_partners"]]  # batch rows from 1
        _place(results[k], j, dict(entry), null, rows)


def _place(
    result: dict[str, Any],
    j: int | None,
    entry: dict[str, Any],
    null: dict[str, Any],
    rows: list[int],
) -> None:
    """Put one real pair's null where its session's readers look for it."""
    entry.pop("pseudo_partners")
    pooled = null["pooled"]
    shared = {
        "statistic": null["statistic"],
        "n_dyads" if j is None else "n_pairs": null["n_pairs"],
        "n_per_dyad" if j is None else "n_per_pair": null["n_per_pair"],
        "pooled_n_pseudo_pairs": pooled["n_pseudo_pairs"],
        "pooled_mean": pooled["pseudo_mean"],
        "pooled_sd": pooled["pseudo_sd"],
        "seed": HR_PARAMS.seed,
        "method": _DYAD_METHOD if j is None else _PAIR_METHOD,
    }
    if j is None:
        entry["pseudo_therapist_dyads"] = rows
        result.setdefault("synchrony", {})["pseudo_pairs"] = {**entry, **shared}
    else:
        entry["pseudo_partner_sessions"] = rows
        result["pairs"][j]["pseudo_pairs"] = {**entry, **shared}
