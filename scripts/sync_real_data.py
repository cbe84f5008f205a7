"""Measure the numbers docs/synchrony.md states about synchrony on real heart rate.

Usage: ``PYTHONPATH=src:tests python scripts/sync_real_data.py`` (about 30 s; needs
NeuroKit2 for the artifact comparison). Data: pyhrv's real 1-hour NN series
(tests/data/pyhrv, BSD licence); dyads are built from its 10-minute stretches as
described in tests/sync_real_support.py (every ordered pair of different stretches).

Prints:

1. The same real hour as both people: windows available, session lag; beats the old
   20 % screen left out, beats the metrics chain's classifier corrects, beats
   NeuroKit2's ``signal_fixpeaks(method="kubios")`` flags.
2. Lagged real copies mixed with 70 % (and 85 %) unrelated real signal, therapist
   leading by 2 s and client leading by 3 s: over the pairs, the median of the
   session lag (window-averaged profile, and the median of per-window peaks), and
   the share with the right sign.
3. Lag 0, the client's heart 1.5x faster: the mean session lag (bias) with values at
   interval midpoints interpolated (the grid) and with sample-and-hold at the
   beat's end time (the previous grid).
   Also, for comparison, the nearest local peak above a threshold (Boker et al.
   2002's peak picking: a lag whose |r| is the largest within ±2 s and at least
   half, or 0.8 times, the window's largest, the one nearest lag 0).
4. Concordance index of lagged copies (50 % unrelated) at +2 s and -3 s: the share
   of pairs with CI > 0, with the lag search and at lag 0 only (Marci & Orr).
"""

from __future__ import annotations

import sys

import numpy as np

from coregulate.signal.synchrony import HR_PARAMS, beat_events, synchrony_offline
from coregulate.signal.synchrony.concordance import concordance_index, segment_r
from coregulate.signal.synchrony.grid import classified_beats
from coregulate.signal.synchrony.offline import grid_series
from coregulate.signal.synchrony.track import SynchronyTrack
from coregulate.signal.synchrony.wcc import OK, wcc_windows
from sync_real_support import NS, coupled_client, real_beats, real_nn_ms, stretch_pairs

STRETCH_S = 600.0


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


def _events(beats: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    return beat_events(beats[0], beats[1], np.zeros(beats[0].size, bool))


def _held(beats: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Return HR held from each beat's end time on the grid (the previous grid, 3 s hold)."""
    t, rr = beats
    grid_t = np.arange(int(STRETCH_S * HR_PARAMS.grid_hz) + 1) * HR_PARAMS.period_ns
    idx = np.searchsorted(t, grid_t, side="right") - 1
    out = np.where(idx >= 0, 60000.0 / rr[np.maximum(idx, 0)], np.nan)
    out[(idx < 0) | (grid_t - t[np.maximum(idx, 0)] > 3 * NS)] = np.nan
    return out


def _final(therapist, client) -> dict:
    events = {"therapist": _events(therapist), "client": _events(client)}
    return synchrony_offline(events, HR_PARAMS, int(STRETCH_S * NS), phase=False).final


def _old_screen_rejections(nn: np.ndarray) -> int:
    """Return how many beats the previous grid's screen left out (> 20 % from the
    median of the last five accepted, Malik et al. 1989)."""
    recent: list[float] = []
    rejected = 0
    for rr in nn.tolist():
        if recent and abs(rr - float(np.median(recent))) > 0.2 * float(np.median(recent)):
            rejected += 1
            continue
        recent = [*recent, rr][-5:]
    return rejected


def same_series() -> None:
    nn = real_nn_ms()
    t = np.cumsum(nn).astype(np.int64) * 1_000_000
    events = beat_events(t, nn, np.zeros(nn.size, bool))
    report = synchrony_offline({"therapist": events, "client": events}, HR_PARAMS, int(t[-1]))
    s = report.final["summary"]
    _say("1. pyhrv Long (1 h) as both people")
    _say(
        f"   windows available {s['n_available']} / {s['n_windows']} = "
        f"{s['n_available'] / s['n_windows']:.1%}; profile lag {s['profile_lag_s']:+.2f} s, "
        f"median peak lag {s['median_peak_lag_s']:+.2f} s"
    )
    _, _, kind = classified_beats(t, nn, np.zeros(nn.size, bool))
    screened = _old_screen_rejections(nn)
    _say(
        f"   beats: {nn.size}; old 20 % screen left out {screened}; "
        f"chain's classifier corrects {int(np.sum(kind != 0))}"
    )
    try:
        import neurokit2 as nk

        info, _ = nk.signal_fixpeaks(
            np.cumsum(np.concatenate(([0.0], nn))).astype(int),
            sampling_rate=1000,
            method="kubios",
            iterative=False,
        )
        flagged = sum(len(info[k]) for k in ("ectopic", "missed", "extra", "longshort"))
        _say(f"   NeuroKit2 signal_fixpeaks(kubios) flags {flagged}")
    except ImportError:
        _say("   (NeuroKit2 not installed: no comparison)")


def _nearest_peak_lags(therapist, client, share: float) -> np.ndarray:
    """Return each window's nearest local |r| peak (±2 s region, >= share x max), in s."""
    p = HR_PARAMS
    w, lag, region = p.samples("window_s"), p.samples("max_lag_s"), round(2 * p.grid_hz)
    events = {"therapist": _events(therapist), "client": _events(client)}
    g = grid_series(events, p, int(STRETCH_S * NS))
    ends = np.arange(w + 2 * lag, g["client"].size + 1)
    batch = wcc_windows(g["therapist"], g["client"], ends, w, lag)
    a = np.abs(batch.r[batch.reason == OK])
    padded = np.pad(a, ((0, 0), (region, region)), constant_values=-np.inf)
    local_max = np.lib.stride_tricks.sliding_window_view(padded, 2 * region + 1, axis=1).max(-1)
    peak = (a >= local_max) & (a >= share * a.max(axis=1, keepdims=True))
    peak[:, [0, -1]] = False  # a maximum at the range's edge is no peak
    key = np.where(peak, np.abs(np.arange(a.shape[1]) - lag) + 0.5 * (1 - a), np.inf)
    idx = np.where(np.isfinite(key.min(axis=1)), key.argmin(axis=1), a.argmax(axis=1))
    return (idx - lag) / p.grid_hz


def lagged(unrelated: float) -> None:
    for lag_s in (2.0, -3.0):
        profile, median, near5, near8 = [], [], [], []
        for a, b in stretch_pairs(STRETCH_S):
            therapist = real_beats(a, STRETCH_S)
            client = coupled_client(a, b, STRETCH_S, lag_s, unrelated)
            s = _final(therapist, client)["summary"]
            profile.append(s["profile_lag_s"])
            median.append(s["median_peak_lag_s"])
            near5.append(np.median(_nearest_peak_lags(therapist, client, 0.5)))
            near8.append(np.median(_nearest_peak_lags(therapist, client, 0.8)))
        for name, v in (
            ("profile lag", profile),
            ("median of window peaks", median),
            ("median of nearest peaks >= 0.5 max", near5),
            ("median of nearest peaks >= 0.8 max", near8),
        ):
            v = np.array(v)
            right = np.mean(np.sign(v) == np.sign(lag_s))
            _say(
                f"   true {lag_s:+.0f} s, {unrelated:.0%} unrelated, {v.size} pairs: {name} "
                f"median {np.median(v):+.2f} s, right sign {right:.0%}"
            )


def faster_heart() -> None:
    _say("3. lag 0, the client's heart 1.5x faster, 70 % unrelated (bias = mean lag)")
    profile, median, held = [], [], []
    for a, b in stretch_pairs(STRETCH_S):
        therapist = real_beats(a, STRETCH_S)
        client = coupled_client(a, b, STRETCH_S, 0.0, 0.7, 1.5)
        s = _final(therapist, client)["summary"]
        profile.append(s["profile_lag_s"])
        median.append(s["median_peak_lag_s"])
        track = SynchronyTrack(HR_PARAMS, "hr_bpm")
        track.extend(_held(therapist), _held(client))
        held.append(track.summary()["profile_lag_s"])
    _say(
        f"   midpoints + interpolation: profile lag bias {np.mean(profile):+.3f} s, "
        f"median-of-peaks bias {np.mean(median):+.3f} s"
    )
    _say(f"   sample-and-hold at beat end (previous grid): profile lag bias {np.mean(held):+.3f} s")


def concordance() -> None:
    _say("4. concordance index, lagged copies with 50 % unrelated")
    p = HR_PARAMS
    cseg, n, step = (
        p.samples(k) for k in ("concordance_segment_s", "slope_window_s", "slope_step_s")
    )
    for lag_s in (2.0, -3.0):
        ours, lag0 = [], []
        for a, b in stretch_pairs(STRETCH_S):
            therapist, client = (
                real_beats(a, STRETCH_S),
                coupled_client(a, b, STRETCH_S, lag_s, 0.5),
            )
            ci = _final(therapist, client)["concordance"]
            ours.append(ci["ci"] if ci and ci["ci"] is not None else np.inf)
            events = {"therapist": _events(therapist), "client": _events(client)}
            g = grid_series(events, p, int(STRETCH_S * NS))
            starts = range(0, g["client"].size - cseg + 1, cseg)
            x, y = g["therapist"], g["client"]
            rs = [segment_r(x[k : k + cseg], y[k : k + cseg], n, step, p.grid_hz) for k in starts]
            stats, _ = concordance_index(rs)
            lag0.append(stats["ci"] if stats and stats["ci"] is not None else np.inf)
        ours, lag0 = np.array(ours), np.array(lag0)
        _say(
            f"   true {lag_s:+.0f} s: CI > 0 in {np.mean(ours > 0):.0%} of pairs "
            f"(median {np.median(ours):+.2f}); at lag 0 only {np.mean(lag0 > 0):.0%} "
            f"(median {np.median(lag0):+.2f})"
        )


def main() -> None:
    same_series()
    _say("2. lagged real copies mixed with unrelated real signal")
    lagged(0.7)
    lagged(0.85)
    faster_heart()
    concordance()


if __name__ == "__main__":
    main()
