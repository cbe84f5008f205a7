"""Coupled dyads with a known coupling, for the power of "above chance".

Real dyads (pyhrv 0.5.0 ``SampleNNISeriesLong.npy``, real NN intervals, BSD,
tests/data/pyhrv), built as in `sync_real_support`: the therapist's beats are the
real beats of stretch A; the client's heart rate is the z-score mix of A's heart
rate `lag_s` later (positive = therapist leads) and the same recording `offset_s`
further on, the unrelated share `unrelated`, scaled to that stretch's mean and SD
and turned into beats by integral pulse frequency modulation. The unrelated part
wraps around the end of the hour, so a 50-minute session can have one: it is the
same person at a time 10 to 50 minutes away (the calibration's strangers are
such pairs too, docs/synchrony.md section 3).

Simulated dyads: `coregulate.acquisition.simulator.demo_config` (the demo session:
therapist leads by 2 s, Coupling strength 0.5), optionally with another strength;
the beats that reached the host, with a gap wherever one was lost.

Both go through the public offline entry point (`recordings.pipeline.hr_synchrony`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from coregulate.acquisition.simulator import Coupling, demo_config, simulate_dyad
from coregulate.recordings.pipeline import hr_synchrony
from coregulate.sessionfile.beats import BeatSeries
from sync_real_support import pulse_beats, real_beats, real_nn_ms

_FS = 100.0  # Hz, as sync_real_support's pulse integration


def _hr_wrapped(t_s: np.ndarray) -> np.ndarray:
    """Return the real heart rate (bpm) at `t_s`, the hour repeated end to start."""
    nn = real_nn_ms()
    end = np.cumsum(nn) / 1000.0
    return np.interp(t_s % end[-1], end - nn / 2000.0, 60000.0 / nn)


def coupled_dyad(
    a_start_s: float, offset_s: float, duration_s: float, lag_s: float, unrelated: float
) -> dict[str, BeatSeries]:
    """Return therapist (real stretch A) and client (A's HR `lag_s` later, mixed) beats."""
    t = np.arange(0.0, duration_s, 1.0 / _FS)
    a = _hr_wrapped(a_start_s + t - lag_s)
    a_ref = _hr_wrapped(a_start_s + t)
    b = _hr_wrapped(a_start_s + offset_s + t)
    z_a = (a - a_ref.mean()) / a_ref.std()
    z_b = (b - b.mean()) / b.std()
    c = 1.0 - unrelated
    z = (c * z_a + unrelated * z_b) / np.hypot(c, unrelated)
    client = pulse_beats(b.mean() + b.std() * z)
    therapist = real_beats(a_start_s, duration_s)
    return {"therapist": _series("therapist", *therapist), "client": _series("client", *client)}


def _series(role: str, t_ns: np.ndarray, rr_ms: np.ndarray, gap=None) -> BeatSeries:
    gap = np.zeros(t_ns.size, dtype=bool) if gap is None else gap
    return BeatSeries(role, [], t_ns, rr_ms, gap)


def real_dyad_starts(duration_s: float, n: int) -> list[tuple[float, float]]:
    """Return `n` (A start, unrelated offset) pairs spread over the hour, deterministic.

    A starts evenly between 5 s and the latest start that leaves the stretch inside
    the hour; the offset cycles through 10..50 minutes, so the unrelated part is
    never the therapist's own time (±10 minutes).
    """
    total = float(np.sum(real_nn_ms())) / 1000.0
    last = total - duration_s - 5.0
    starts = np.linspace(5.0, last, n) if n > 1 else np.array([5.0])
    offsets = 600.0 + (np.arange(n) * 577.0) % 2400.0
    return [(float(a), float(o)) for a, o in zip(starts, offsets, strict=True)]


def simulated_dyad(seed: int, duration_s: float, strength: float | None) -> dict[str, BeatSeries]:
    """Return the demo scenario's delivered beats (strength None: the demo's own 0.5)."""
    config = demo_config(seed=seed, duration_s=duration_s)
    if strength is not None:
        coupling = Coupling(leader="therapist", lag_s=2.0, strength=strength)
        config = dataclasses.replace(config, coupling=coupling)
    sim = simulate_dyad(config)
    out = {}
    for role in ("client", "therapist"):
        truth = sim.truth[role]
        keep = truth.delivered
        lost_before = np.concatenate(([False], ~keep[:-1]))
        out[role] = _series(role, truth.t_ns[keep], truth.rr_ms[keep], lost_before[keep])
    return out


def verdict(people: dict[str, BeatSeries]) -> dict[str, Any]:
    """Return the session verdict, p, valid segments and windows above their band."""
    report = hr_synchrony(people, False)
    assert report is not None
    susy = report.final.get("susy") or {}
    windows = [u["window"] for u in report.updates if u.get("window")]
    banded = [w for w in windows if w.get("chance_abs_r95") is not None]
    return {
        "above": susy.get("above_chance"),
        "p": susy.get("p_above_chance"),
        "k": int(susy.get("n_segments") or 0),
        "es": (susy.get("z_abs") or {}).get("es"),
        "windows_above": sum(bool(w["above_chance"]) for w in banded),
        "windows_banded": len(banded),
    }
