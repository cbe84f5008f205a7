"""Phase synchrony, offline only: NeuroKit2's Hilbert phase on band-passed series.

Each contiguous stretch of the common grid without missing samples, long enough
(at least `min_cycles` periods of the band's low edge), is band-passed with a
zero-phase Butterworth filter (`scipy.signal.sosfiltfilt`, order 2 per pass) and
given to ``neurokit2.signal_synchrony(method="hilbert")``, whose index per sample
is 1 − sin(|φ_therapist − φ_client| / 2) (1 = same phase). One low-edge period at
each end of a stretch is dropped (filter and Hilbert edge effects). Reported: the
mean index and the phase-locking value PLV = |mean exp(i Δφ)| over kept samples.

Why offline only: the Hilbert transform and a zero-phase filter both need the
future of every sample. A causal version (a one-sided filter and the analytic
signal at the newest sample) shifts each person's phase by a frequency-dependent
group delay and is biased at the newest sample, which is exactly the one a live
display would show; we found no validated causal estimator, so none is offered.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def _runs(valid: np.ndarray) -> list[tuple[int, int]]:
    """Return [start, stop) of each run of True."""
    edges = np.diff(np.concatenate(([0], valid.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def phase_synchrony(
    therapist: np.ndarray,
    client: np.ndarray,
    fs: float,
    band_hz: tuple[float, float],
    min_cycles: float = 4.0,
) -> tuple[dict[str, Any] | None, str | None]:
    """Return the mean Hilbert phase synchrony of two grid series, or (None, reason).

    Examples
    --------
    >>> t = np.arange(2400) / 4.0
    >>> stats, _ = phase_synchrony(np.sin(0.2 * t), np.sin(0.2 * t), 4.0, (0.02, 0.15))
    >>> round(stats["mean_index"], 3), round(stats["plv"], 3)
    (1.0, 1.0)
    """
    # Imported here: NeuroKit2 (1.4 s) and scipy.signal (0.3 s) serve this offline
    # measure only, which few runs ask for.
    import neurokit2 as nk
    from scipy import signal as sp_signal

    low, high = band_hz
    sos = sp_signal.butter(2, [low, high], btype="bandpass", fs=fs, output="sos")
    edge = math.ceil(fs / low)
    valid = np.isfinite(therapist) & np.isfinite(client)
    indices: list[np.ndarray] = []
    deltas: list[np.ndarray] = []
    for start, stop in _runs(valid):
        if stop - start < min_cycles * fs / low:
            continue
        a = sp_signal.sosfiltfilt(sos, therapist[start:stop])
        b = sp_signal.sosfiltfilt(sos, client[start:stop])
        if np.ptp(a) == 0 or np.ptp(b) == 0:
            continue
        index = np.asarray(nk.signal_synchrony(a, b, method="hilbert"))[edge:-edge]
        delta = (np.angle(sp_signal.hilbert(a)) - np.angle(sp_signal.hilbert(b)))[edge:-edge]
        indices.append(index)
        deltas.append(delta)
    if not indices:
        return None, (
            f"no stretch without gaps of at least {min_cycles:g} periods of {low:g} Hz "
            f"({min_cycles / low:g} s)"
        )
    index = np.concatenate(indices)
    delta = np.concatenate(deltas)
    return {
        "mean_index": float(index.mean()),
        "plv": float(np.abs(np.exp(1j * delta).mean())),
        "n_samples": int(index.size),
        "n_stretches": len(indices),
        "band_hz": [low, high],
        "edge_dropped_s": edge / fs,
    }, None
