"""Measure the numbers docs/metrics.md states about the spectral layout and RSA resampling.

Usage: ``PYTHONPATH=src:tests python scripts/spectral_stability.py`` (needs NeuroKit2
and SciPy, the test extras; about 5 s). Data: pyhrv's real NN series (tests/data/pyhrv,
BSD licence): ``Long`` (1 h, 4684 intervals) and ``Short`` (5 min).

Prints:

1. HF between consecutive 5 s updates, through the live class (``PersonSignal``, as
   ``analyze`` runs it) and through the kernel alone on windows that end at the
   first beat >= 5 s after the previous update: share of updates where HF moved by
   more than 10 % and 25 %, and how often the number of Welch segments changed, for
   NeuroKit2's N/2 layout and the fixed 60 s layout, on 120 s windows (before issue
   13) and the live 240 s windows; also on a stationary surrogate of the same series
   (Fourier phases randomised, seed 1: its spectrum, no change over time).
2. LF and HF over each whole recording against ``nk.hrv_frequency(normalize=False)``
   (NeuroKit2's defaults: 100 Hz, N/2 layout) and the record's band variance
   (Parseval: the squared FFT of the whole 4 Hz series summed over the band).
3. RSA of a 20 ms oscillation at 0.30 Hz at 55, 70, 90 and 110 bpm.
4. Latency of HF and RSA, live class: beats at 70 bpm whose 0.25 Hz oscillation
   steps from 20 to 40 ms at 600 s; seconds from the step until the published value
   has covered half and 90 % of its change (in ln units), for 120 s and 240 s windows.
"""

from __future__ import annotations

import functools
import sys

import numpy as np

from coregulate.signal import hrv, person_steps, rsa
from coregulate.signal.person import PersonConfig, metrics_at_every_beat
from signal_support import pyhrv_nn, sine_beats


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


def _jumps(hf: np.ndarray) -> str:
    hf = hf[np.isfinite(hf)]
    r = np.abs(np.diff(hf)) / hf[:-1]
    return f"{r.size} steps: >10 % {np.mean(r > 0.10):6.1%}, >25 % {np.mean(r > 0.25):5.1%}"


def live_series(
    nn: np.ndarray, segment_s: float | None, window_s: float, name: str = "hf_power_ms2"
) -> tuple[np.ndarray, np.ndarray]:
    """(time s, value) at every spectral update of the live class fed beat by beat."""
    original = person_steps.band_powers_ms2
    person_steps.band_powers_ms2 = functools.partial(hrv.band_powers_ms2, segment_s=segment_s)
    try:
        ms = metrics_at_every_beat(
            (np.cumsum(nn) * 1e6).astype(np.int64),
            nn,
            config=PersonConfig(spectral_window_s=window_s),
        )
    finally:
        person_steps.band_powers_ms2 = original
    t, out, seen = [], [], set()
    for m in ms:
        d = m.to_dict()
        if d.get("spectral_t_ns") is None or d["spectral_t_ns"] in seen:
            continue
        seen.add(d["spectral_t_ns"])
        t.append(d["spectral_t_ns"] / 1e9)
        out.append(np.nan if d.get(name) is None else d[name])
    return np.array(t), np.array(out, float)


def kernel_hf(nn: np.ndarray, segment_s: float | None, window_s: float) -> tuple[np.ndarray, float]:
    """HF of `window_s` windows ending every >= 5 s, and the share of segment-count changes."""
    t = np.cumsum(nn) / 1000.0
    hf, counts, last = [], [], -np.inf
    for j in range(t.size):
        if t[j] - last < 5.0 or t[j] - t[0] < window_s:
            continue
        last = t[j]
        sel = (t > t[j] - window_s) & (t <= t[j])
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


def step_beats(bpm: float = 70.0, step_s: float = 600.0) -> np.ndarray:
    """RR (ms) at `bpm` with a 0.25 Hz oscillation of 20 ms, 40 ms from `step_s` on."""
    t, rr = 0.0, []
    while t < 2 * step_s:
        amplitude = 20.0 if t < step_s else 40.0
        rr.append(60000.0 / bpm + amplitude * np.sin(2 * np.pi * 0.25 * t))
        t += rr[-1] / 1000.0
    return np.array(rr)


def latency(window_s: float, name: str, step_s: float = 600.0) -> str:
    """Seconds from the step until the value covered half and 90 % of its change (ln)."""
    t, v = live_series(step_beats(step_s=step_s), hrv.WELCH_SEGMENT_S, window_s, name)
    v = np.log(v) if name != "rsa_ln_ms2" else v
    before, after = v[t < step_s][-1], v[-1]
    share = (v - before) / (after - before)
    half = t[(t >= step_s) & (share >= 0.5)][0] - step_s
    most = t[(t >= step_s) & (share >= 0.9)][0] - step_s
    return f"half {half:.0f} s, 90 % {most:.0f} s"


def main() -> None:
    import neurokit2 as nk

    long_nn = pyhrv_nn("Long")
    _say("1. HF between consecutive 5 s updates (pyhrv Long, 1 h)")
    for label, seg, window_s in (
        ("NeuroKit2 N/2 layout, 120 s", None, 120.0),
        ("fixed 60 s layout, 120 s   ", hrv.WELCH_SEGMENT_S, 120.0),
        ("fixed 60 s layout, 240 s   ", hrv.WELCH_SEGMENT_S, 240.0),
    ):
        _say(f"   live class, {label}: {_jumps(live_series(long_nn, seg, window_s)[1])}")
        for name, series in (("real", long_nn), ("stationary surrogate", surrogate(long_nn))):
            hf, changes = kernel_hf(series, seg, window_s)
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
    _say("4. Latency after a step in the 0.25 Hz oscillation (20 -> 40 ms), live class")
    for window_s in (120.0, 240.0):
        for name in ("hf_power_ms2", "rsa_ln_ms2"):
            _say(f"   {window_s:.0f} s window, {name}: {latency(window_s, name)}")


if __name__ == "__main__":
    main()
