"""Random re-pairing against circular shifts on unrelated real pairs, by session length.

Usage: ``PYTHONPATH=src:tests python scripts/chance_segments.py`` (about a minute).
Numbers of docs/synchrony.md, section 3, "Why not random re-pairings any more".

Data: pyhrv's real 1-hour NN series (tests/data/pyhrv, BSD licence), put on the
synchrony grid once (the corrected-beat feed of `grid.beat_events`, then
`offline.grid_series`). Chunks of 5, 7.5, 10, 12 and 15 minutes start every 30 s;
every two chunks that do not overlap are an unrelated pair (therapist = the later
chunk). For each pair the SUSY segment matrix (`surrogates.SegmentMatrix`) gives
the one-sided p of the mean real |Z| against (a) 500 random derangements of the
segments (the test used before issue 13) and (b) the k - 1 circular shifts of the
segment order (`surrogates.rotation_p`, used now). Prints the share of pairs with
p < 0.05, p < 0.10 and p > 0.95: a calibrated test gives 5 %, 10 % and 5 %.
"""

from __future__ import annotations

import sys

import numpy as np

from coregulate.signal.synchrony import HR_PARAMS, beat_events
from coregulate.signal.synchrony.offline import grid_series
from coregulate.signal.synchrony.surrogates import SegmentMatrix, rotation_p
from signal_support import pyhrv_nn


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


def derangement_p(sub: np.ndarray, n_surrogates: int, seed: int) -> float:
    """Return the old test's p: the diagonal's mean |Z| against random derangements."""
    k = sub.shape[0]
    rng = np.random.default_rng([seed, k])
    perms: list[np.ndarray] = []
    while sum(len(p) for p in perms) < n_surrogates:
        draw = rng.permuted(np.tile(np.arange(k), (n_surrogates, 1)), axis=1)
        perms.append(draw[~(draw == np.arange(k)).any(axis=1)])
    chosen = np.concatenate(perms)[:n_surrogates]
    means = sub[np.arange(k)[None, :], chosen].mean(axis=1)
    return (1 + int(np.count_nonzero(means >= np.diagonal(sub).mean()))) / (1 + n_surrogates)


def _rates(p: np.ndarray) -> str:
    return (
        f"p<0.05 {100 * np.mean(p < 0.05):4.1f} %, p<0.10 {100 * np.mean(p < 0.10):4.1f} %, "
        f"p>0.95 {100 * np.mean(p > 0.95):4.1f} %"
    )


def main() -> None:
    """Print both tests' rates on unrelated real pairs for each chunk length."""
    rr = pyhrv_nn("Long")
    if rr is None:
        _say("pyhrv's sample series are not in tests/data/pyhrv")
        return
    t_ns = (np.cumsum(rr) * 1e6).astype(np.int64)
    events = beat_events(t_ns, rr, np.zeros(rr.size, dtype=bool), kind="hr_bpm")
    grid = grid_series({"hr": events}, HR_PARAMS, int(t_ns[-1]))["hr"]
    fs = round(HR_PARAMS.grid_hz)
    seg, lag = HR_PARAMS.samples("segment_s"), HR_PARAMS.samples("max_lag_s")
    for chunk_s in (300, 450, 600, 720, 900):
        starts = range(0, grid.size // fs - chunk_s + 1, 30)
        k = chunk_s * fs // seg
        old, new = [], []
        for a in starts:
            for b in starts:
                if b - a < chunk_s:
                    continue
                matrix = SegmentMatrix(lag)
                for i in range(k):
                    x = grid[b * fs + i * seg : b * fs + (i + 1) * seg]
                    y = grid[a * fs + i * seg : a * fs + (i + 1) * seg]
                    matrix.add(x, y)
                keep = np.flatnonzero(matrix.valid)
                sub = matrix.z_abs[np.ix_(keep, keep)]
                old.append(derangement_p(sub, 500, 0))
                new.append(rotation_p(sub, 500)[0])
        _say(f"{chunk_s / 60:g} min ({k} segments), {len(old)} pairs")
        _say(f"  random derangements: {_rates(np.array(old))}")
        _say(f"  circular shifts:     {_rates(np.array(new))}")


if __name__ == "__main__":
    main()
