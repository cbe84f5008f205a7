"""Measure the numbers docs/metrics.md states about the spectral layout and RSA resampling.

Usage: ``PYTHONPATH=src:tests python scripts/spectral_stability.py`` (needs NeuroKit2
and SciPy, the test extras; about 5 s). Data: pyhrv's real NN series (tests/data/pyhrv,
BSD licence): ``Long`` (1 h, 4684 intervals) and ``Short`` (5 min).

Prints:

1. HF between consecutive 5 s updates, through the live class (``PersonSignal``, as
   ``analyze`` runs it) and through the kernel alone on windows that end at the
   first beat >= 5 s after the previous update: share of updates where HF moved by
   more than 10 % and 25 %, and how often the number of Welch segments changed, for
   NeuroKit2's N/2 layout and the fixed 60 s layout; also on a stationary surrogate
   of the same series (Fourier phases randomised, seed 1: its spectrum, no change
   over time).
2. LF and HF over each whole recording against ``nk.hrv_frequency(normalize=False)``
   (NeuroKit2's defaults: 100 Hz, N/2 layout) and the record's band variance
   (Parseval: the squared FFT of the whole 4 Hz series summed over the band).
3. RSA of a 20 ms oscillation at 0.30 Hz at 55, 70, 90 and 110 bpm.
"""

from __future__ import annotations

import functools
import sys

import numpy as np

from coregulate.signal import hrv, person_steps, rsa
from coregulate.signal.person import metrics_at_every_beat
from signal_support import pyhrv_nn, sine_beats


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


def _jumps(hf: np.ndarray) -> str:
    hf = hf[np.isfinite(hf)]
    r = np.abs(np.diff(hf)) / hf[:-1]
    return f"{r.size} steps: >10 % {np.mean(r > 0.10):6.1%}, >25 % {np.mean(r > 0.25):5.1%}"


def live_hf(nn: np.ndarray, segment_s: float | None) -> np.ndarray:
    """HF at every spectral update of the live class fed the series beat by beat."""
    original = person_steps.band_powers_ms2
    person_steps.band_powers_ms2 = functools.partial(hrv.band_powers_ms2, segment_s=segment_s)
    try:
        ms = metrics_at_every_beat((np.cumsum(nn) * 1e6).astype(np.int64), nn)
    finally:
        person_steps.band_powers_ms2 = original
    out, seen = [], set()
    for m in ms:
        d = m.to_dict()
        if d.get("spectral_t_ns") is None or d["spectral_t_ns"] in seen:
            continue
        seen.add(d["spectral_t_ns"])
        out.append(np.nan if d.get("hf_power_ms2") is None else d["hf_power_ms2"])
    return np.array(out, float)


def kernel_hf(nn: np.ndarray, segment_s: float | None) -> tuple[np.ndarray, float]:
    """HF of 120 s windows ending every >= 5 s, and the share of segment-count changes."""
    t = np.cumsum(nn) / 1000.0
    hf, counts, last = [], [], -np.inf
    for j in range(t.size):
        if t[j] - last < 5.0 or t[j] - t[0] < 120.0:
            continue
        last = t[j]
        sel = (t > t[j] - 120.0) & (t <= t[j])
        ts = t[sel] - t[sel][0]
        n = np.arange(ts[0], ts[-1] + 0.25, 0.25).size
        counts.append(hrv.welch_segments(n, 4.0, segment_s)[2])
        hf.append(hrv.band_powers_ms2(ts, nn[sel], 4.0, segment_s=segment_s)[1])
    return np.array(hf), float(np.mean(np.diff(counts) != 0))


def surrogate(nn: np.ndarray, seed: int = 1) -> np.ndarray:
    spec = np.fft.rfft(nn - nn.mean())
    phase = np.exp(1j * np.random.default_rng(seed).uniform(0, 2 * np.pi, spec.size))
    phase[0] = 1.0
    return nn.mean() + np.fft.irfft(spec * phase, n=nn.size)


def main() -> None:
    import neurokit2 as nk

    long_nn = pyhrv_nn("Long")
    _say("1. HF between consecutive 5 s updates, 120 s window (pyhrv Long, 1 h)")
    for label, seg in (
        ("NeuroKit2 N/2 layout", None),
        ("fixed 60 s layout  ", hrv.WELCH_SEGMENT_S),
    ):
        _say(f"   live class, {label}: {_jumps(live_hf(long_nn, seg))}")
        for name, series in (("real", long_nn), ("stationary surrogate", surrogate(long_nn))):
            hf, changes = kernel_hf(series, seg)
            _say(f"   kernel, {name}, {label}: {_jumps(hf)}, segment count changed {changes:.1%}")
    _say("2. Whole recordings: ours at 4 Hz / NeuroKit2 hrv_frequency(normalize=False) - 1")
    for name in ("Long", "Short"):
        nn = pyhrv_nn(name)
        t = np.cumsum(nn) / 1000.0
        ref = nk.hrv_frequency({"RRI": nn, "RRI_Time": t}, normalize=False).iloc[0]
        x = hrv.interpolate_nn(t - t[0], nn, 4.0)
        spec = np.abs(np.fft.rfft(x - x.mean())) ** 2 * 2 / x.size**2
        f = np.fft.rfftfreq(x.size, 0.25)
        band_var = [spec[(f >= lo) & (f < hi)].sum() for lo, hi in (hrv.LF_BAND_HZ, hrv.HF_BAND_HZ)]
        for label, seg in (("fixed 60 s", hrv.WELCH_SEGMENT_S), ("N/2", None)):
            lf, hf = hrv.band_powers_ms2(t - t[0], nn, 4.0, segment_s=seg)
            vs_nk = (lf / ref["HRV_LF"] - 1, hf / ref["HRV_HF"] - 1)
            vs_var = (lf / band_var[0] - 1, hf / band_var[1] - 1)
            _say(
                f"   {name:5s} {label:10s}: LF {vs_nk[0]:+.1%} HF {vs_nk[1]:+.1%}"
                f"   (against the band variance: LF {vs_var[0]:+.1%} HF {vs_var[1]:+.1%})"
            )
    _say("3. RSA (ln ms2) of 20 ms at 0.30 Hz, 300 s of beats")
    for bpm in (55, 70, 90, 110):
        t, nn = sine_beats(bpm)
        _say(f"   {bpm:3d} bpm: {rsa.rsa_ln_ms2(t, nn):.3f}")


if __name__ == "__main__":
    main()
