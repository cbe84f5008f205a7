"""Measure two alternatives to the session verdict's test (docs/synchrony.md, "Power").

Usage::

    PYTHONPATH=src:tests python scripts/chance_power_alternatives.py WHICH

WHICH is ``null`` (the 171 pairs of unrelated 12-minute real chunks every 2 min of
scripts/chance_calibration.py 720 120), ``real`` (real dyads of tests/power_support.py,
15 minutes, 70 % unrelated, lags +2 and -3 s, 30 stretches) or ``demo`` (the
simulated demo, 20 minutes, strength 0.5, seeds 0-29). For each, the share with
p < 0.05 from the grid series of the public offline entry point
(`recordings.pipeline.hr_synchrony`), 30 s segments from the grid's start, |Z| as in
`surrogates.py`:

- ``mean``: the mean |Z| over lags, circular shifts by whole segments (as built);
- ``max``: the largest |Z| over lags, the same shifts;
- ``fine``: the mean |Z|, the client's grid shifted circularly in 10 s steps, shifts
  under 30 s (one segment) left out. A trial, not the live statistic.
"""

from __future__ import annotations

import itertools
import sys

import numpy as np

import chance_support
import power_support
from coregulate.recordings.pipeline import hr_synchrony
from coregulate.signal.synchrony import HR_PARAMS
from coregulate.signal.synchrony.surrogates import lagged_parts, rotation_p
from coregulate.signal.synchrony.wcc import fisher_z

SEG = HR_PARAMS.samples("segment_s")
LAG = HR_PARAMS.samples("max_lag_s")
STEP = SEG // 3  # 10 s at the defaults


def _parts(therapist: np.ndarray, client: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the lagged parts of every segment both people have without gaps."""
    xs, ys = [], []
    for i in range(min(therapist.size, client.size) // SEG):
        x = lagged_parts(therapist[i * SEG : (i + 1) * SEG], LAG, True)
        y = lagged_parts(client[i * SEG : (i + 1) * SEG], LAG, False)
        if np.isfinite(x).all() and np.isfinite(y).all():
            xs.append(x)
            ys.append(y)
    return np.array(xs), np.array(ys)


def _p_values(therapist: np.ndarray, client: np.ndarray) -> dict[str, float]:
    x, y = _parts(therapist, client)
    z = np.abs(fisher_z(np.einsum("ils,jls->ijl", x, y)))
    out = {name: rotation_p(m, 10**6)[0] for name, m in (("mean", z.mean(-1)), ("max", z.max(-1)))}
    n = (min(therapist.size, client.size) // SEG) * SEG
    therapist, client = therapist[:n], client[:n]

    def stat(shift: int) -> float:
        a, b = _parts(therapist, np.roll(client, shift))
        return float(np.abs(fisher_z((a * b).sum(-1))).mean())

    shifts = [d for d in range(STEP, n, STEP) if min(d, n - d) >= SEG]
    real = stat(0)
    exceed = sum(stat(d) >= real for d in shifts)
    out["fine"] = (1 + exceed) / (1 + len(shifts))
    return out


def _dyads(which: str) -> list[dict]:
    if which == "null":
        chance_support.CHUNK_S = 720.0
        chunks = chance_support.real_chunks(120.0) or []
        return [
            {
                "client": chance_support._beats("client", a[2]),
                "therapist": chance_support._beats("therapist", b[2]),
            }
            for a, b in itertools.combinations(chunks, 2)
            if not (a[0] == b[0] and abs(a[1] - b[1]) < 720.0)
        ]
    if which == "real":
        starts = power_support.real_dyad_starts(900.0, 30)
        return [
            power_support.coupled_dyad(a, o, 900.0, lag_s, 0.7)
            for a, o in starts
            for lag_s in (2.0, -3.0)
        ]
    return [power_support.simulated_dyad(seed, 1200.0, 0.5) for seed in range(30)]


def main(argv: list[str]) -> None:
    """Print, per statistic, how many of the dyads have p < 0.05."""
    which = argv[0] if argv else "demo"
    results = []
    for people in _dyads(which):
        report = hr_synchrony(people, False)
        assert report is not None
        results.append(_p_values(report.therapist, report.client))
    for name in ("mean", "max", "fine"):
        hits = sum(r[name] < 0.05 for r in results)
        share = 100 * hits / max(len(results), 1)
        sys.stdout.write(f"{which} {name}: p < 0.05 in {hits}/{len(results)} = {share:.1f} %\n")


if __name__ == "__main__":
    main(sys.argv[1:])
