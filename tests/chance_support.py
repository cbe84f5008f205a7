"""Unrelated real pairs: every pair of disjoint 5-minute chunks of real NN series.

Source: pyhrv 0.5.0 ``files/SampleNNISeries{Long,Short}.npy`` (real NN intervals in
ms, BSD licence; tests/data/pyhrv). ``Long`` (1 h) is cut into 5-minute chunks
starting every `hop_s` seconds, ``Short`` (5 min) is one chunk. Two chunks that
overlap in time (the same stretch of the same person) are never paired; every other
pair is two unrelated stretches (different people, or the same person at different
times), given as client and therapist from a common start. Each pair goes through
the public offline entry point (`recordings.pipeline.hr_synchrony`: the grid, the
beat feed and the kernels the live stage uses), so the numbers follow any change
underneath.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from coregulate.recordings.pipeline import hr_synchrony
from coregulate.sessionfile.beats import BeatSeries
from signal_support import pyhrv_nn

CHUNK_S = 300.0


def _chunks(rr_ms: np.ndarray, name: str, hop_s: float) -> list[tuple[str, float, np.ndarray]]:
    """Return (recording, start s, RR ms) of every 5-minute chunk starting each `hop_s`."""
    t_s = np.cumsum(rr_ms) / 1000.0
    out = []
    start = 0.0
    while start + CHUNK_S <= t_s[-1]:
        keep = (t_s > start) & (t_s <= start + CHUNK_S)
        out.append((name, start, rr_ms[keep]))
        start += hop_s
    return out


def real_chunks(hop_s: float = 150.0) -> list[tuple[str, float, np.ndarray]] | None:
    """Return the chunks of pyhrv's real series, or None if the files are absent."""
    long_rr, short_rr = pyhrv_nn("Long"), pyhrv_nn("Short")
    if long_rr is None or short_rr is None:
        return None
    return _chunks(long_rr, "Long", hop_s) + _chunks(short_rr, "Short", CHUNK_S)


def _beats(role: str, rr_ms: np.ndarray) -> BeatSeries:
    t_ns = (np.cumsum(rr_ms) * 1e6).astype(np.int64)
    return BeatSeries(role, [], t_ns, rr_ms, np.zeros(rr_ms.size, dtype=bool))


@dataclass
class PairResult:
    """One unrelated pair's session verdict and its per-window chance results."""

    verdict: bool | None
    reason: str | None  # why there is no verdict
    p: float | None
    n_segments: int
    windows_above: int  # windows whose largest |r| exceeds their chance band
    windows_with_band: int
    peak_abs_r: list[float]


def unrelated_pairs(hop_s: float = 150.0) -> list[PairResult] | None:
    """Return the synchrony verdicts of every unrelated pair of real chunks."""
    chunks = real_chunks(hop_s)
    if chunks is None:
        return None
    out = []
    for a, b in itertools.combinations(chunks, 2):
        if a[0] == b[0] and abs(a[1] - b[1]) < CHUNK_S:
            continue  # the same stretch of the same recording
        people = {"client": _beats("client", a[2]), "therapist": _beats("therapist", b[2])}
        report = hr_synchrony(people, False)
        assert report is not None
        out.append(_pair_result(report.final, report.updates))
    return out


def _pair_result(final: dict[str, Any], updates: list[dict[str, Any]]) -> PairResult:
    susy = final.get("susy") or {}
    unavailable = final.get("unavailable", {})
    verdict = susy.get("above_chance")
    reason = None
    if verdict is None:
        reason = unavailable.get("susy") or unavailable.get("above_chance")
    windows = [u["window"] for u in updates if u.get("window")]
    banded = [w for w in windows if w.get("chance_abs_r95") is not None]
    return PairResult(
        verdict=verdict,
        reason=reason,
        p=susy.get("p_above_chance"),
        n_segments=int(susy.get("n_segments") or 0),
        windows_above=sum(bool(w["above_chance"]) for w in banded),
        windows_with_band=len(banded),
        peak_abs_r=[abs(w["peak_r"]) for w in windows],
    )


def upper_bound_95(hits: int, n: int) -> float:
    """Return the one-sided 95 % Clopper-Pearson upper bound of a binomial rate."""
    from scipy.stats import beta

    return 1.0 if hits >= n else float(beta.ppf(0.95, hits + 1, n - hits))
