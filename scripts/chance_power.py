"""Measure how often REAL coupling is called "above chance" (docs/synchrony.md, section 3).

Usage::

    PYTHONPATH=src:tests python scripts/chance_power.py [N_DYADS]

Real dyads (tests/power_support.py): the therapist is a stretch of pyhrv's real
1-hour NN series (tests/data/pyhrv, BSD), the client that stretch's heart rate 2 s
later (therapist leads) or 3 s earlier (client leads), mixed with 50, 70 or 85 %
unrelated real signal; sessions of 15, 30 and 50 minutes; N_DYADS (default 30)
stretches spread over the hour. Simulated dyads: the demo scenario
(`demo_config`, therapist leads by 2 s) at Coupling strength 0.3, 0.5 (the
demo's) and 0.8, N_DYADS seeds, also at 20 minutes (the length of the demo
sessions, scripts/simulated_sessions.py). All through the public offline entry
point (`recordings.pipeline.hr_synchrony`).

Prints per configuration: sessions "above chance" (share, with its 95 %
Clopper-Pearson interval), the median p of the circular-shift test, the share with
p ≤ 0.10, the median valid segments, and the share of windows above their chance
band.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from functools import partial

import numpy as np
from scipy.stats import beta

import power_support

LENGTHS_MIN = (15, 30, 50)
UNRELATED = (0.5, 0.7, 0.85)
LAGS_S = (2.0, -3.0)
STRENGTHS = (0.3, 0.5, 0.8)
SIM_LENGTHS_MIN = (15, 20, 30, 50)  # 20: the demo sessions of scripts/simulated_sessions.py


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _interval(hits: int, n: int) -> tuple[float, float]:
    """Return the two-sided 95 % Clopper-Pearson interval of hits / n."""
    low = 0.0 if hits == 0 else float(beta.ppf(0.025, hits, n - hits + 1))
    high = 1.0 if hits == n else float(beta.ppf(0.975, hits + 1, n - hits))
    return low, high


def _row(label: str, dyads: list[Callable[[], dict]]) -> None:
    results = [power_support.verdict(make()) for make in dyads]
    given = [r for r in results if r["above"] is not None]
    hits = sum(bool(r["above"]) for r in given)
    n = len(given)
    low, high = _interval(hits, n) if n else (float("nan"), float("nan"))
    p = np.array([r["p"] for r in given], dtype=float)
    above = sum(r["windows_above"] for r in results)
    banded = sum(r["windows_banded"] for r in results)
    k = np.median([r["k"] for r in results])
    _say(
        f"| {label} | {hits}/{n} = {100 * hits / max(n, 1):.0f} % "
        f"({100 * low:.0f}–{100 * high:.0f}) | {np.median(p) if n else float('nan'):.3f} | "
        f"{100 * np.mean(p <= 0.10) if n else float('nan'):.0f} % | {k:.0f} | "
        f"{100 * above / max(banded, 1):.1f} % |"
    )


def real_rows(n: int) -> None:
    """Print one row per (length, unrelated share, lag) of the real dyads."""
    for minutes in LENGTHS_MIN:
        duration_s = 60.0 * minutes
        starts = power_support.real_dyad_starts(duration_s, n)
        for unrelated in UNRELATED:
            for lag_s in LAGS_S:
                dyads = [
                    partial(power_support.coupled_dyad, a, o, duration_s, lag_s, unrelated)
                    for a, o in starts
                ]
                _row(f"real, {minutes} min, {unrelated:.0%} unrelated, lag {lag_s:+g} s", dyads)


def simulated_rows(n: int) -> None:
    """Print one row per (length, strength) of the simulator's demo dyads."""
    for minutes in SIM_LENGTHS_MIN:
        for strength in STRENGTHS:
            dyads = [
                partial(power_support.simulated_dyad, s, 60.0 * minutes, strength) for s in range(n)
            ]
            _row(f"simulated demo, {minutes} min, strength {strength:g}", dyads)


def main(argv: list[str]) -> None:
    """Print the power table."""
    n = int(argv[0]) if argv else 30
    start = time.perf_counter()
    _say(
        "| dyads | above chance (95 % CI) | median p | p ≤ 0.10 | valid segments "
        "| windows above band |"
    )
    _say("|---|---|---|---|---|---|")
    real_rows(n)
    simulated_rows(n)
    _say(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
