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
way for real and pseudo dyads. Each real dyad gets ``z`` = (real - mean of the
pseudo dyads) / their SD and ``percentile``, its percentile rank among them (ties
counted half). A pure function of arrays: no files, no processes, so a batch
runner (multiprocessing today, Dask later) can map `pair_statistic` over the pairs.
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


def _pseudo_indices(n_dyads: int, n_pseudo: int, seed: int) -> list[tuple[int, int]]:
    """Return (client dyad, therapist dyad) pairs: all i ≠ j, or `n_pseudo` of them drawn."""
    every = [(i, j) for i in range(n_dyads) for j in range(n_dyads) if i != j]
    if n_pseudo >= len(every):
        return every
    rng = np.random.default_rng([seed, n_dyads])
    chosen = np.sort(rng.choice(len(every), size=n_pseudo, replace=False))
    return [every[k] for k in chosen.tolist()]


def pseudo_pair_null(
    dyads: Sequence[tuple[np.ndarray, np.ndarray]],
    params: SyncParams,
    n_pseudo: int,
    seed: int = 0,
    map_pairs: PairMap | None = None,
) -> dict[str, Any]:
    """Return every dyad's synchrony against the pseudo dyads of the batch.

    Parameters
    ----------
    dyads : sequence of (therapist, client) arrays
        Each dyad's two series on the common grid from session start (NaN = missing),
        e.g. `SynchronyReport.therapist` and `.client`.
    params : SyncParams
        Window, lag and step (the heart-rate defaults for HR).
    n_pseudo : int
        How many pseudo dyads: all n(n-1) ordered pairs if that many or fewer, else
        this many drawn without replacement, seeded by (`seed`, n), reproducibly.
    map_pairs : callable, optional
        Computes `pair_statistic` of dyad t's therapist with dyad c's client for a list
        of (t, c); e.g. as Dask tasks (`coregulate.batch.dask_run.pair_mapper`). The
        result is the same as the default loop's.

    Returns
    -------
    dict
        ``statistic``, ``n_dyads``, ``n_pseudo_pairs`` (with a usable statistic),
        ``pseudo_mean``, ``pseudo_sd`` (n - 1), ``pseudo_pairs`` ([client dyad,
        therapist dyad] indices used), and ``dyads``: per dyad ``real``, ``z``,
        ``percentile`` (None where not available, and why under ``unavailable``).
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
    pseudo = np.array(stats[: len(pairs)], dtype=float)
    pseudo = pseudo[np.isfinite(pseudo)]
    mean = float(np.mean(pseudo)) if pseudo.size else math.nan
    sd = float(np.std(pseudo, ddof=1)) if pseudo.size > 1 else math.nan
    out_dyads = [_dyad_entry(real, pseudo, mean, sd) for real in stats[len(pairs) :]]
    return {
        "statistic": STATISTIC,
        "n_dyads": n,
        "n_pseudo_pairs": int(pseudo.size),
        "pseudo_mean": _num(mean),
        "pseudo_sd": _num(sd),
        "pseudo_pairs": [list(p) for p in pairs],
        "dyads": out_dyads,
    }


def _dyad_entry(real: float, pseudo: np.ndarray, mean: float, sd: float) -> dict[str, Any]:
    """Return one dyad's ``real``, ``z`` and ``percentile`` among the pseudo dyads."""
    entry: dict[str, Any] = {"real": _num(real), "z": None, "percentile": None}
    if not math.isfinite(real):
        entry["unavailable"] = "no window of this dyad is available"
    elif pseudo.size < 2 or not sd > 0:
        entry["unavailable"] = "fewer than 2 pseudo dyads with a usable statistic"
    else:
        entry["z"] = (real - mean) / sd
        below = np.count_nonzero(pseudo < real) + 0.5 * np.count_nonzero(pseudo == real)
        entry["percentile"] = 100.0 * float(below) / pseudo.size
    return entry


def _num(x: float) -> float | None:
    return x if math.isfinite(x) else None
