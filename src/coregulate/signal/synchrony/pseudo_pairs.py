"""The pseudo-pair null across dyads: each dyad's synchrony against strangers' (offline).

Within one session, segment shuffling asks whether two people are more in step than
at other times of the same session. Across a batch of sessions, the question
rMEA's author recommends for group studies (Kleinbub, kleinbub/rMEA issues #4 and
#13; Kleinbub & Ramseyer 2021; Ramseyer & Tschacher 2010) is whether a real dyad
is more in step than a client and a therapist who never met: the client of dyad i
with the therapist of dyad j (i ≠ j), **roles kept**, aligned from the start of
each session and trimmed to the shorter of the two. Such a pseudo dyad keeps both
people's own dynamics and the shared structure of a session (its start, its
length), and nothing of their interaction.

The statistic is the session's `mean_abs_peak_z` (the mean |Fisher z| at the
windows' peaks; `wcc.wcc_windows` with the given parameters), computed the same
way for real and pseudo dyads. **N is per dyad** (issue 18): dyad i's client is
paired with the therapists of N other dyads (all n - 1 when N >= n - 1, else N
drawn without replacement, seeded by (seed, n, i)), and dyad i's real statistic
is compared with the distribution of *its own* pseudo dyads: ``z`` = (real - their
mean) / their SD and ``percentile``, its rank among them (ties counted half). The
pooled distribution of every pseudo dyad of the batch is reported beside it
(``pooled_z``, ``pooled_percentile``). A pure function of arrays: no files, no
processes, so a batch runner (Dask) can map `pair_statistic` over the pairs.

Sessions of 3-6 people (issue 19) take part the same way, pair by pair
(`pseudo_partner_null`): pair (a, b) of a session, whose positive lag means b
leads, is compared with a of that session and the people **with b's key** (the
same role: "therapist", "partner", ...) of N other sessions of the batch, dyads
included. A dyad is the pair (client, therapist), so a batch of dyads alone gets
exactly the numbers and draws of `pseudo_pair_null`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from coregulate.signal.synchrony.params import SyncParams
from coregulate.signal.synchrony.wcc import OK, wcc_windows

STATISTIC = "mean_abs_peak_z"
# Computes statistics for (therapist's dyad, client's dyad) index pairs, in order: a
# plain loop by default; a batch runner passes one that maps them over Dask.
PairMap = Callable[[Sequence[tuple[int, int]]], list[float]]


def pair_statistic(therapist: np.ndarray, client: np.ndarray, params: SyncParams) -> float:
    """Return the mean |peak Fisher z| over the available windows of one pair (NaN if none).

    Both grid series start at session time 0; the longer one is trimmed to the
    shorter. Windows end every `step_s`, as in the live path.
    """
    n = min(therapist.size, client.size)
    w, lag = params.samples("window_s"), params.samples("max_lag_s")
    step = params.samples("step_s")
    ends = np.arange(step, n + 1, step, dtype=np.int64)
    if ends.size == 0:
        return math.nan
    batch = wcc_windows(therapist[:n], client[:n], ends, w, lag)
    ok = batch.reason == OK
    return float(np.mean(np.abs(batch.peak_z[ok]))) if ok.any() else math.nan


@dataclass(frozen=True)
class PseudoPerson:
    """One person of a batch for the pseudo-pair null: their session, key and grid series."""

    session: int  # the session's index in the batch (from 0)
    key: str  # partners are drawn among the people of other sessions with this key
    series: np.ndarray  # heart rate on the synchrony grid from session start (NaN = missing)


def _draw(candidates: Sequence[np.ndarray], n_per_pair: int, seed: int) -> list[tuple[int, int]]:
    """Return (pair, partner) index pairs: for each pair i, N of its candidate partners.

    All of them when `n_per_pair` is at least that many; otherwise that many drawn
    without replacement by a generator seeded with (seed, n, i), so pair i's draw
    does not depend on the others' (and the same batch gives the same pairs). For a
    batch of dyads the candidates of dyad i are the other dyads' therapists in batch
    order, so the draw is the one `pseudo_pair_null` always made.
    """
    n = len(candidates)
    pairs: list[tuple[int, int]] = []
    for i, others in enumerate(candidates):
        if n_per_pair < others.size:
            rng = np.random.default_rng([seed, n, i])
            others = np.sort(rng.choice(others, size=n_per_pair, replace=False))
        pairs.extend((i, int(j)) for j in others)
    return pairs


def pseudo_pair_null(
    dyads: Sequence[tuple[np.ndarray, np.ndarray]],
    params: SyncParams,
    n_pseudo: int,
    seed: int = 0,
    map_pairs: PairMap | None = None,
) -> dict[str, Any]:
    """Return every dyad's synchrony against its own pseudo dyads (and the pooled ones).

    Parameters
    ----------
    dyads : sequence of (therapist, client) arrays
        Each dyad's two series on the common grid from session start (NaN = missing),
        e.g. `SynchronyReport.therapist` and `.client`.
    params : SyncParams
        Window, lag and step (the heart-rate defaults for HR).
    n_pseudo : int
        Pseudo dyads PER DYAD: dyad i's client with the therapists of this many other
        dyads (all n - 1 if that many or fewer; else drawn, seeded by (`seed`, n, i)).
    map_pairs : callable, optional
        Computes `pair_statistic` of dyad t's therapist with dyad c's client for a list
        of (t, c); e.g. as Dask tasks (`coregulate.batch.dask_run.pair_mapper`). The
        result is the same as the default loop's.

    Returns
    -------
    dict
        ``statistic``, ``n_dyads``, ``n_per_dyad`` (N as asked), ``pooled`` (``n_pseudo_pairs``
        with a usable statistic, ``pseudo_mean``, ``pseudo_sd`` (n - 1) over every pseudo
        dyad), ``pseudo_pairs`` ([client dyad, therapist dyad] indices used), and
        ``dyads``: per dyad ``real``, ``z``, ``percentile`` against its own pseudo dyads,
        their ``n_pseudo_pairs``, ``pseudo_mean``, ``pseudo_sd``, ``pseudo_therapists``
        (dyad indices), and ``pooled_z``, ``pooled_percentile`` (None where not
        available, and why under ``unavailable``).
    """
    # Person 2k is dyad k's client, 2k + 1 its therapist.
    people = [
        PseudoPerson(k, key, series)
        for k, (therapist, client) in enumerate(dyads)
        for key, series in (("client", client), ("therapist", therapist))
    ]
    units = [(2 * k, 2 * k + 1) for k in range(len(dyads))]
    by_dyad = None
    if map_pairs is not None:
        by_dyad = lambda wanted: map_pairs([(t // 2, c // 2) for t, c in wanted])  # noqa: E731
    nouns = ["pseudo dyads"] * len(units)
    null = pseudo_partner_null(people, units, params, n_pseudo, seed, by_dyad, nouns)
    dyad_entries = []
    for entry in null["pairs"]:
        entry = dict(entry)
        entry["pseudo_therapists"] = [p // 2 for p in entry.pop("pseudo_partners")]
        dyad_entries.append(entry)
    return {
        "statistic": STATISTIC,
        "n_dyads": len(dyads),
        "n_per_dyad": n_pseudo,
        "pooled": null["pooled"],
        "pseudo_pairs": [[i, p // 2] for i, p in null["pseudo_pairs"]],
        "dyads": dyad_entries,
    }


def pseudo_partner_null(
    people: Sequence[PseudoPerson],
    units: Sequence[tuple[int, int]],
    params: SyncParams,
    n_pseudo: int,
    seed: int = 0,
    map_pairs: PairMap | None = None,
    nouns: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Return every real pair's synchrony against its own pseudo pairs (and the pooled ones).

    `units` are the real pairs (a, b) as indices into `people` (both of one
    session; b takes the therapist's slot: a positive lag means b leads). Pair i's
    pseudo pairs are its a with N people of other sessions who have b's key (all of
    them if that many or fewer; else drawn, seeded by (`seed`, number of pairs, i)).
    `map_pairs` computes `pair_statistic(people[p].series, people[q].series)` for a
    list of (p, q) (e.g. as Dask tasks); the default is a loop, with the same result.
    `nouns` name each pair's pseudo pairs in its `unavailable` reason ("pseudo
    dyads" for a dyad, the default "pseudo pairs").

    Returns ``statistic``, ``n_pairs``, ``n_per_pair``, ``pooled`` (as in
    `pseudo_pair_null`), ``pseudo_pairs`` ([pair, partner person] indices), and
    ``pairs``: per real pair what `pseudo_pair_null` gives per dyad, its partners
    (person indices) under ``pseudo_partners``.
    """
    if n_pseudo < 1:
        raise ValueError(f"n_pseudo must be ≥ 1, got {n_pseudo}")
    candidates = []
    for _, b in units:
        same_role = [
            p
            for p, other in enumerate(people)
            if other.key == people[b].key and other.session != people[b].session
        ]
        candidates.append(np.array(same_role, dtype=np.int64))
    pairs = _draw(candidates, n_pseudo, seed)
    # Every pseudo pair (partner of b's role, a of pair i), then every real pair.
    wanted = [(p, units[i][0]) for i, p in pairs] + [(b, a) for a, b in units]
    if map_pairs is None:
        stats = [pair_statistic(people[t].series, people[c].series, params) for t, c in wanted]
    else:
        stats = map_pairs(wanted)
    nouns = list(nouns) if nouns is not None else ["pseudo pairs"] * len(units)
    pooled, entries = _per_pair(nouns, pairs, stats)
    for (_, b), entry, others in zip(units, entries, candidates, strict=True):
        if others.size == 0 and entry["real"] is not None:  # say why there are none
            entry["unavailable"] += f": no other session of the batch has a {people[b].key!r}"
    return {
        "statistic": STATISTIC,
        "n_pairs": len(units),
        "n_per_pair": n_pseudo,
        "pooled": pooled,
        "pseudo_pairs": [list(p) for p in pairs],
        "pairs": entries,
    }


def _per_pair(
    nouns: list[str], pairs: list[tuple[int, int]], stats: list[float]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return the pooled null and each real pair's entry: against its own pseudo pairs, pooled.

    `stats` holds the pseudo pairs' statistics in the order of `pairs`, then the
    real pairs' (one per noun).
    """
    values = np.array(stats[: len(pairs)], dtype=float)
    usable = np.isfinite(values)
    owners = np.array([i for i, _ in pairs], dtype=np.int64)
    pooled = _distribution(values[usable])
    out = []
    for i, (real, noun) in enumerate(zip(stats[len(pairs) :], nouns, strict=True)):
        entry = _compare(real, _distribution(values[usable & (owners == i)]), noun)
        entry["pseudo_partners"] = [p for owner, p in pairs if owner == i]
        against_pool = _compare(real, pooled, noun)
        entry["pooled_z"] = against_pool["z"]
        entry["pooled_percentile"] = against_pool["percentile"]
        out.append(entry)
    return {k: v for k, v in pooled.items() if k != "values"}, out


def _distribution(values: np.ndarray) -> dict[str, Any]:
    """Return the usable pseudo statistics with their count, mean and SD (n - 1)."""
    mean = float(np.mean(values)) if values.size else math.nan
    sd = float(np.std(values, ddof=1)) if values.size > 1 else math.nan
    return {"n_pseudo_pairs": int(values.size), "pseudo_mean": _num(mean),
            "pseudo_sd": _num(sd), "values": values}  # fmt: skip


def _compare(real: float, null: dict[str, Any], noun: str) -> dict[str, Any]:
    """Return one pair's ``real``, ``z`` and ``percentile`` among the pseudo pairs of `null`."""
    pseudo, mean, sd = null["values"], null["pseudo_mean"], null["pseudo_sd"]
    entry: dict[str, Any] = {"real": _num(real), "z": None, "percentile": None}
    entry |= {k: null[k] for k in ("n_pseudo_pairs", "pseudo_mean", "pseudo_sd")}
    if not math.isfinite(real):
        unit = "dyad" if "dyad" in noun else "pair"
        entry["unavailable"] = f"no window of this {unit} is available"
    elif pseudo.size < 2 or sd is None or not sd > 0:
        entry["unavailable"] = f"fewer than 2 {noun} with a usable statistic"
    else:
        entry["z"] = (real - mean) / sd
        below = np.count_nonzero(pseudo < real) + 0.5 * np.count_nonzero(pseudo == real)
        entry["percentile"] = 100.0 * float(below) / pseudo.size
    return entry


def _num(x: float) -> float | None:
    return x if math.isfinite(x) else None
