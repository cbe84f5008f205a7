"""Synthetic bus messages shaped like the signal and sync stages' (docs/protocol.md).

For the window's tests, its benchmark and screenshots without running the stages:
smooth random heart rates with an activated stretch, a contact loss (a gap), a
baseline, states and synchrony windows. Values are plausible, not physiological
ground truth; nothing here is used to compute anything shown in a real session.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from coregulate.bus.envelope import Message, make_message
from coregulate.signal import catalogue
from coregulate.signal.baseline import (
    ACTIVATED,
    HIGHLY_ACTIVATED,
    HR_SD_FLOOR_BPM,
    LN_RMSSD_SD_FLOOR,
    SETTLED,
    BaselineProfile,
    arousal_index,
)
from coregulate.signal.dyad import DEFAULT_BASELINE_S
from coregulate.signal.person import PersonConfig

NS = 1_000_000_000


def synthetic_session(duration_s: float, seed: int = 1, step_s: float = 1.0) -> Iterator[Message]:
    """Yield metrics, status and sync messages of a dyad, in time order, one step per `step_s`."""
    rng = np.random.default_rng(seed)
    seqs: dict[str, int] = {}

    def msg(topic: str, src: str, t_s: float, payload: dict) -> Message:
        seqs[topic] = seqs.get(topic, 0) + 1
        return make_message(topic, src, seqs[topic], int(t_s * NS), payload)

    n = int(duration_s / step_s)
    base = {"client": (74.0, 3.4), "therapist": (64.0, 3.8)}
    walk = {r: np.cumsum(rng.normal(0, 0.3, n)) * 0.3 for r in base}
    yield msg("status.client", "acq", 0.0, {"status": "streaming"})
    yield msg("status.therapist", "acq", 0.0, {"status": "streaming"})
    for i in range(1, n + 1):
        t_s = i * step_s
        for role, (hr0, ln0) in base.items():
            bump = _activation(t_s, role)
            if role == "client" and 900 <= t_s < 930:
                if t_s == 900:
                    yield msg("status.client", "acq", t_s, {"status": "contact lost"})
                continue
            if role == "client" and t_s == 930:
                yield msg("status.client", "acq", t_s, {"status": "streaming"})
            hr = hr0 + 12 * bump + walk[role][i - 1] + rng.normal(0, 0.6)
            ln = ln0 - 0.6 * bump + rng.normal(0, 0.05)
            payload = metrics_payload(t_s, hr, ln, bump, hr0, ln0, rng)
            yield msg(f"metrics.{role}", "signal", t_s, payload)
        if t_s >= 30 and i % max(1, int(1 / step_s)) == 0:
            yield msg("sync", "sync", t_s, sync_payload(t_s, rng))


def _activation(t_s: float, role: str) -> float:
    """0 at rest, up to about 2.5 during the activated stretches of the story."""
    centre, width = (1500.0, 240.0) if role == "client" else (1620.0, 150.0)
    return 2.5 * math.exp(-(((t_s - centre) / width) ** 2)) + 1.2 * math.exp(
        -(((t_s - 2700) / 300) ** 2)
    )


# The stages' defaults: windows, thresholds and SD floors as a real session has them.
_CONFIG = PersonConfig()
_SPECTRAL_REASON = (
    f"needs {_CONFIG.min_spectral_coverage * _CONFIG.spectral_window_s:.0f} s of contiguous "
    f"beats in the {_CONFIG.spectral_window_s:g} s window"
)


def metrics_payload(
    t_s: float, hr: float, ln: float, bump: float, hr0: float, ln0: float, rng: np.random.Generator
) -> dict:
    """Return a `metrics.<person>` payload at `t_s` for heart rate `hr` and lnRMSSD `ln`."""
    ready = t_s >= DEFAULT_BASELINE_S
    profile = BaselineProfile(hr0, HR_SD_FLOOR_BPM, ln0, LN_RMSSD_SD_FLOOR, 100, DEFAULT_BASELINE_S)
    arousal = arousal_index(hr, ln, profile) if ready else None
    unavailable = {}
    if not ready:
        unavailable = {k: "no baseline yet (collecting)" for k in ("arousal_index", "state")}
    spectral_ready = t_s >= _CONFIG.spectral_window_s
    if not spectral_ready:
        for m in catalogue.metrics():
            if m.cadence == "spectral":
                unavailable[m.name] = _SPECTRAL_REASON
    hf = math.exp(2 * ln - 0.4 + rng.normal(0, 0.05))
    return {
        "t_ns": int(t_s * NS),
        "hr_bpm": hr,
        "rmssd_ms": math.exp(ln),
        "ln_rmssd": ln,
        "sdnn_ms": math.exp(ln) * 1.3,
        "artifact_share": float(abs(rng.normal(0, 0.01))),
        "lf_power_ms2": hf * 1.5 if spectral_ready else None,
        "hf_power_ms2": hf if spectral_ready else None,
        "ln_hf": math.log(hf) if spectral_ready else None,
        "rsa_ln_ms2": math.log(hf) - 0.2 if spectral_ready else None,
        "arousal_index": arousal,
        "state": _state(arousal),
        "state_since_ns": int((t_s - 60) * NS) if arousal is not None else None,
        "baseline": _baseline(t_s, profile),
        "window_s": _CONFIG.window_s,
        "hr_window_s": _CONFIG.hr_window_s,
        "spectral_window_s": _CONFIG.spectral_window_s,
        "unavailable": unavailable,
    }


def _state(arousal: float | None) -> str | None:
    """The state word at the entry thresholds (no hysteresis: a story, not a tracker)."""
    if arousal is None:
        return None
    th = _CONFIG.thresholds
    if arousal >= th.high_enter:
        return HIGHLY_ACTIVATED
    return ACTIVATED if arousal >= th.activated_enter else SETTLED


def _baseline(t_s: float, profile: BaselineProfile) -> dict:
    ready = t_s >= DEFAULT_BASELINE_S
    baseline: dict = {
        "status": "ready" if ready else "collecting",
        "start_t_ns": 0,
        "end_t_ns": int(DEFAULT_BASELINE_S * NS),
    }
    if ready:
        baseline["profile"] = {
            "hr_bpm_mean": profile.hr_bpm_mean,
            "hr_bpm_sd": profile.hr_bpm_sd,
            "ln_rmssd_mean": profile.ln_rmssd_mean,
            "ln_rmssd_sd": profile.ln_rmssd_sd,
        }
        baseline["source"] = "session"
    else:
        baseline["progress"] = t_s / DEFAULT_BASELINE_S
    return baseline


def sync_payload(t_s: float, rng: np.random.Generator) -> dict:
    """Return a `sync` payload (heart rate) at `t_s`: r drifting around 0.35, lags ±2 s."""
    r = float(np.clip(0.35 + 0.3 * math.sin(t_s / 240) + rng.normal(0, 0.12), -1, 1))
    lag = float(np.clip(round(2 * math.sin(t_s / 400) + rng.normal(0, 1), 1), -5, 5))
    leader = "therapist" if lag > 0 else "client" if lag < 0 else "simultaneous"
    return {
        "series": "hr_bpm",
        "t_ns": int(t_s * NS),
        "window": {
            "start_ns": int((t_s - 30) * NS),
            "end_ns": int(t_s * NS),
            "peak_r": r,
            "peak_z": math.atanh(min(r, 0.999)),
            "peak_lag_s": lag,
            "r_lag0": r * 0.8,
            "leader": leader,
        },
        "summary": {
            "n_windows": int(t_s),
            "n_available": int(t_s) - 30,
            "mean_peak_z": 0.4,
            "mean_abs_peak_z": 0.5,
            "median_peak_lag_s": 1.0,
            "share_therapist_leads": 0.5,
            "share_client_leads": 0.3,
            "share_simultaneous": 0.2,
        },
        "susy": None
        if t_s < 90
        else {
            "n_segments": int(t_s // 30),
            "z": {"mean_real": 0.5, "mean_pseudo": 0.2, "sd_pseudo": 0.2, "es": 1.5},
            "n_surrogates": 500,
            "p_above_chance": 0.01,
            "above_chance": True,
        },
        "concordance": None,
        "unavailable": {"susy": "needs at least 2 complete 30 s segments"} if t_s < 90 else {},
        "params": {},
        "final": False,
        "late_values": 0,
    }


# The names the window's tests import.
_metrics = metrics_payload
_sync = sync_payload
