"""Measure how often unrelated real people are called "in step" (docs/synchrony.md, section 3).

Usage::

    PYTHONPATH=src:tests python scripts/chance_calibration.py [CHUNK_S HOP_S]

Data: pyhrv's real NN series (tests/data/pyhrv, BSD licence). Every pair of disjoint
CHUNK_S-second chunks (starting every HOP_S seconds; default 720 and 60) is analysed
as an unrelated client and therapist through the public offline entry point
(`recordings.pipeline.hr_synchrony`), see tests/chance_support.py. Prints the share
of pairs called "above chance" with its one-sided 95 % Clopper-Pearson upper bound,
why the others have no verdict, the share of windows whose largest |r| exceeds
their chance band, and the strangers' peak |r| (median, 90th percentile).
"""

from __future__ import annotations

import collections
import sys
import time

import numpy as np

import chance_support


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


def main(argv: list[str]) -> None:
    """Print the calibration numbers for the chunking given on the command line."""
    chunk_s, hop_s = (float(argv[0]), float(argv[1])) if len(argv) >= 2 else (720.0, 60.0)
    chance_support.CHUNK_S = chunk_s
    start = time.perf_counter()
    pairs = chance_support.unrelated_pairs(hop_s)
    if pairs is None:
        _say("pyhrv's sample series are not in tests/data/pyhrv")
        return
    verdicts = [p for p in pairs if p.verdict is not None]
    hits = sum(bool(p.verdict) for p in verdicts)
    n = len(verdicts)
    _say(f"{len(pairs)} unrelated pairs of {chunk_s:g} s chunks every {hop_s:g} s")
    if n:
        bound = chance_support.upper_bound_95(hits, n)
        share = f"{hits}/{n} = {100 * hits / n:.1f} %"
        _say(f"above chance: {share} (95 % upper bound {100 * bound:.1f} %)")
    reasons = collections.Counter(
        (p.reason or "").split(":")[0].split("(")[0] for p in pairs if p.verdict is None
    )
    _say(f"no verdict: {len(pairs) - n} pairs, {dict(reasons.most_common(3))}")
    above = sum(p.windows_above for p in pairs)
    banded = sum(p.windows_with_band for p in pairs)
    if banded:
        _say(f"windows above their chance band: {above}/{banded} = {100 * above / banded:.1f} %")
    peaks = np.concatenate([p.peak_abs_r for p in pairs])
    if peaks.size:
        _say(
            f"strangers' window peak |r|: median {np.median(peaks):.2f}, "
            f"90th percentile {np.percentile(peaks, 90):.2f}"
        )
    _say(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
