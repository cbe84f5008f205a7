"""Short gaps inside the spectral window: which to bridge, and the beats that fill them.

A Polar H10 on Linux/BlueZ drops its connection every 150 s and reconnects within
seconds (issue 20); with LF/HF/RSA taken from the newest contiguous run only, a
240 s window would never fill. A gap of at most :data:`MAX_BRIDGED_GAP_S`, with
at most :data:`MAX_BRIDGED_SHARE` of the window bridged in all, is filled the way
Kubios and NeuroKit2 fill missing beats for the spectrum: heart period interpolated
across the hole (here linearly between the beats on either side, one knot per
expected beat, before the spectral and RSA splines run). A longer gap still starts
the window again. Only the spectral path bridges: no successive difference (RMSSD)
and no SDNN ever uses a filled beat. The bias this costs, measured on real data,
is in docs/metrics.md ("Bridging short gaps").
"""

from __future__ import annotations

from typing import Final

import numpy as np

MAX_BRIDGED_GAP_S: Final = 6.0
"""The longest single hole the spectral window is computed across, seconds: up to
6 s drops the bias on the real hour stays within 0.05 ln for LF, HF and RSA, at 8 s
RSA's is -0.06 (docs/metrics.md, "Bridging short gaps")."""
MAX_BRIDGED_SHARE: Final = 0.05
"""The most of the spectral window that may be bridged in all (12 s of 240 s)."""

_NS_PER_S: Final = 1e9


def hole_s(t_prev_ns: int, t_next_ns: int, nn_next_ms: float) -> float:
    """Return the time no beat covers between two beats across a gap, seconds.

    The beat after the gap ends at `t_next_ns` and began ``nn_next_ms`` earlier; the
    hole is from the beat before to that start (0 for a rejected interval between two
    beats whose times still fit). A missing interval (NaN) counts as no interval.

    Examples
    --------
    >>> hole_s(10_000_000_000, 15_800_000_000, 800.0)
    5.0
    """
    nn_s = nn_next_ms / 1000.0 if np.isfinite(nn_next_ms) else 0.0
    return max(0.0, (t_next_ns - t_prev_ns) / _NS_PER_S - nn_s)


def bridged_start(
    t_ns: np.ndarray, nn_ms: np.ndarray, seg: np.ndarray, window_s: float
) -> tuple[int, list[tuple[int, float]]]:
    """Return where the spectral run starts in `t_ns`, and the gaps bridged inside it.

    Walks back from the newest run across gaps of at most :data:`MAX_BRIDGED_GAP_S`
    while all bridged together stay within ``MAX_BRIDGED_SHARE * window_s``; the
    first gap that is longer (or would exceed the share) starts the run. Each bridged
    gap is ``(index of the first beat after it, hole in seconds)``, oldest first.
    """
    starts = np.flatnonzero(seg[1:] != seg[:-1]) + 1
    budget_s = MAX_BRIDGED_SHARE * window_s
    bridged: list[tuple[int, float]] = []
    for b in starts[::-1]:
        hole = hole_s(int(t_ns[b - 1]), int(t_ns[b]), float(nn_ms[b]))
        if hole > MAX_BRIDGED_GAP_S or hole > budget_s:
            return int(b), bridged[::-1]
        budget_s -= hole
        bridged.append((int(b), hole))
    return 0, bridged[::-1]


def fill_gaps(
    t_s: np.ndarray, nn_ms: np.ndarray, gaps: list[tuple[int, float]]
) -> tuple[np.ndarray, np.ndarray]:
    """Return (t_s, nn_ms) with beats interpolated into each bridged gap's hole.

    `gaps` index the first beat after each hole in `t_s`. A hole gets one beat per
    expected interval (the hole over the mean of its neighbours, rounded), evenly
    spaced so the last ends where the next real beat begins; its heart period is
    interpolated linearly between the beats on either side.

    Examples
    --------
    >>> t, nn = fill_gaps(np.array([1.0, 2.0, 5.0]), np.array([1000.0, 1000.0, 1000.0]),
    ...                   [(2, 2.0)])
    >>> t.tolist(), nn.tolist()
    ([1.0, 2.0, 3.0, 4.0, 5.0], [1000.0, 1000.0, 1000.0, 1000.0, 1000.0])
    """
    if not gaps:
        return t_s, nn_ms
    t_parts, nn_parts, last = [], [], 0
    for b, hole in gaps:
        t0, t1 = float(t_s[b - 1]), float(t_s[b])
        nn0, nn1 = float(nn_ms[b - 1]), float(nn_ms[b])
        k = round(hole / ((nn0 + nn1) / 2000.0))
        t_fill = t0 + hole * np.arange(1, k + 1) / max(k, 1)
        t_fill = t_fill[t_fill < t1]  # times must increase (a missing interval after it)
        t_parts += [t_s[last:b], t_fill]
        nn_parts += [nn_ms[last:b], np.interp(t_fill, (t0, t1), (nn0, nn1))]
        last = b
    t_parts.append(t_s[last:])
    nn_parts.append(nn_ms[last:])
    return np.concatenate(t_parts), np.concatenate(nn_parts)
