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
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
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


def _pseudo_indices(n_dyads: int, n_per_dyad: int, seed: int) -> list[tuple[int, int]]:
    """Return (client dyad, therapist dyad) pairs: for each client i, N therapists j != i.

    All n - 1 others when `n_per_dyad` is at least that; otherwise that many drawn
    without replacement by a generator seeded with (seed, n, i), so dyad i's draw
    does not depend on the others' (and the same batch gives the same pairs).
    """
    pairs: list[tuple[int, int]] = []
    for i in range(n_dyads):
        others = np.array([j for j in range(n_dyads) if j != i], dtype=np.int64)
        if n_per_dyad < others.size:
            rng = np.random.default_rng([seed, n_dyads, i])
            others = np.sort(rng.choice(others, size=n_per_dyad, replace=False))
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
    if n_pseudo < 1:
        raise ValueError(f"n_pseudo must be ≥ 1, got {n_pseudo}")
    n = len(dyads)
    pairs = _pseudo_indices(n, n_pseudo, seed) if n >= 2 else []
    # Every pseudo dyad (therapist of j, client of i), then every real dyad.
    wanted = [(j, i) for i, j in pairs] + [(k, k) for k in range(n)]
    if map_pairs is None:
        stats = [pair_statistic(dyads[t][0], dyads[c][1], params) for t, c in wanted]
    else:
        stats = map_pairs(wanted)
    pooled, out_dyads = _per_dyad(pairs, stats)
    return {
        "statistic": STATISTIC,
        "n_dyads": n,
        "n_per_dyad": n_pseudo,
        "pooled": pooled,
        "pseudo_pairs": [list(p) for p in pairs],
        "dyads": out_dyads,
    }


def _per_dyad(
    pairs: list[tuple[int, int]], stats: list[float]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return the pooled null and each dyad's entry: against its own pseudo dyads, and pooled.

    `stats` holds the pseudo pairs' statistics in the order of `pairs`, then the
    real dyads'.
    """
    values = np.array(stats[: len(pairs)], dtype=float)
    usable = np.isfinite(values)
    clients = np.array([i for i, _ in pairs], dtype=np.int64)
    pooled = _distribution(values[usable])
    out = []
    for i, real in enumerate(stats[len(pairs) :]):
        entry = _compare(real, _distribution(values[usable & (clients == i)]))
        entry["pseudo_therapists"] = [j for c, j in pairs if c == i]
        against_pool = _compare(real, pooled)
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


def _compare(real: float, null: dict[str, Any]) -> dict[str, Any]:
    """Return one dyad's ``real``, ``z`` and ``percentile`` among the pseudo dyads of `null`."""
    pseudo, mean, sd = null["values"], null["pseudo_mean"], null["pseudo_sd"]
    entry: dict[str, Any] = {"real": _num(real), "z": None, "percentile": None}
    entry |= {k: null[k] for k in ("n_pseudo_pairs", "pseudo_mean", "pseudo_sd")}
    if not math.isfinite(real):
        entry["unavailable"] = "no window of this dyad is available"
    elif pseudo.size < 2 or sd is None or not sd > 0:
        entry["unavailable"] = "fewer than 2 pseudo dyads with a usable statistic"
    else:
        entry["z"] = (real - mean) / sd
        below = np.count_nonzero(pseudo < real) + 0.5 * np.count_nonzero(pseudo == real)
        entry["percentile"] = 100.0 * float(below) / pseudo.size
    return entry


def _num(x: float) -> float | None:
    return x if math.isfinite(x) else None
