"""The simulated heart: HR and RR on a fine time grid, the beats, and beat artifacts.

The model is described in :mod:`coregulate.acquisition.simulator`. Each person draws
from their own generators in a fixed order, so a seed gives the same beats whatever
the others or the link do.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Final

import numpy as np

from coregulate.acquisition._sim_config import ArousalEpisode, Coupling, PersonProfile

# Logged under the simulator's name, which callers know, not this private module's.
logger = logging.getLogger("coregulate.acquisition.simulator")

# TrueBeats.kind codes (int8). Ectopic and extra artifacts each mark both intervals
# they produce; a missed beat produces one merged interval.
BEAT_NORMAL: Final = 0
BEAT_ECTOPIC: Final = 1
BEAT_MISSED: Final = 2
BEAT_EXTRA: Final = 3
BEAT_KIND_NAMES: Final = ("normal", "ectopic", "missed", "extra")

_GRID_DT_S: Final = 0.05  # resolution of the continuous-time components
_LEAD_IN_S: Final = 3.0  # beats start this long before the session, so the strap is warm
_TAIL_S: Final = 5.0  # beats continue past the end, so artifacts there have neighbours
_WHITE_NOISE_MS: Final = 3.0  # SD of beat-to-beat noise on RR
_LF_HZ: Final = 0.1  # Mayer-wave frequency
_FREQ_WANDER: Final = 0.1  # relative SD of breathing / Mayer-wave frequency wander
_FREQ_WANDER_TAU_S: Final = 20.0
_RAMP_S: Final = 20.0  # arousal episodes ramp in and out over this long (at most)
_HR_LIMITS_BPM: Final = (30.0, 220.0)
_RR_LIMITS_MS: Final = (250.0, 2500.0)
_ECTOPIC_PREMATURITY: Final = (0.55, 0.75)  # premature RR as a share of the normal RR
_EXTRA_SPLIT: Final = (0.3, 0.7)  # where a spurious detection splits an RR


# --- continuous-time components ----------------------------------------------------


def _ar1(innovations: np.ndarray, a: float, x_before: float) -> np.ndarray:
    """Return x with x[n] = a * x[n-1] + innovations[n] and x[-1] = x_before.

    Vectorised in blocks short enough that a**-block stays well inside float range.
    """
    n = innovations.size
    out = np.empty(n)
    block = n if a >= 1.0 else max(1, min(n, int(10.0 / -math.log(a))))
    j = np.arange(block)
    grow = a**j
    shrink = a ** (-j.astype(float))
    previous = x_before
    for start in range(0, n, block):
        chunk = innovations[start : start + block]
        m = chunk.size
        out[start : start + m] = grow[:m] * (a * previous + np.cumsum(chunk * shrink[:m]))
        previous = out[start + m - 1]
    return out


def _unit_ou(rng: np.random.Generator, n: int, tau_s: float) -> np.ndarray:
    """Return a stationary unit-variance Ornstein-Uhlenbeck path sampled every grid step."""
    a = math.exp(-_GRID_DT_S / tau_s)
    innovations = rng.standard_normal(n) * math.sqrt(1.0 - a * a)
    return _ar1(innovations, a, float(rng.standard_normal()))


def _wandering_phase(rng: np.random.Generator, n: int, freq_hz: float) -> np.ndarray:
    """Return the phase (rad) of an oscillation whose frequency wanders around freq_hz."""
    wander = _unit_ou(rng, n, _FREQ_WANDER_TAU_S)
    step = 2.0 * math.pi * freq_hz * _GRID_DT_S * (1.0 + _FREQ_WANDER * wander)
    return rng.uniform(0.0, 2.0 * math.pi) + np.cumsum(step)


def _episode_weight(grid_s: np.ndarray, episode: ArousalEpisode) -> np.ndarray:
    """Return 0..1: 0 outside the episode, 1 on its plateau, raised-cosine ramps between."""
    ramp_s = min(_RAMP_S, episode.duration_s / 2.0)
    end_s = episode.start_s + episode.duration_s
    rising = np.clip((grid_s - episode.start_s) / ramp_s, 0.0, 1.0)
    falling = np.clip((end_s - grid_s) / ramp_s, 0.0, 1.0)
    return 0.5 * (1.0 - np.cos(np.pi * np.minimum(rising, falling)))


def _slow_increment_var(rr_s: float, tau_s: float) -> float:
    """Return the variance of a unit OU process's change over rr_s."""
    return 2.0 * (1.0 - math.exp(-rr_s / tau_s))


def _rsa_amplitude_ms(profile: PersonProfile, slow_increment_var_bpm2: float) -> float:
    """Return the RSA amplitude that makes the resting RMSSD land near profile.rmssd_ms."""
    rr_ms = 60000.0 / profile.resting_hr_bpm
    rr_s = rr_ms / 1000.0
    ms_per_bpm = 60000.0 / profile.resting_hr_bpm**2
    other_ms2 = (
        ms_per_bpm**2 * slow_increment_var_bpm2
        + 2.0 * profile.lf_amplitude_ms**2 * math.sin(math.pi * _LF_HZ * rr_s) ** 2
        + 2.0 * _WHITE_NOISE_MS**2
    )
    rsa_ms2 = profile.rmssd_ms**2 - other_ms2
    if rsa_ms2 <= 0.0:
        logger.warning(
            "rmssd_ms=%.1f is below what drift, LF and noise alone give (%.1f ms); "
            "simulating without RSA. Lower drift_bpm or lf_amplitude_ms to reach it.",
            profile.rmssd_ms,
            math.sqrt(other_ms2),
        )
        return 0.0
    return math.sqrt(rsa_ms2 / (2.0 * math.sin(math.pi * profile.breathing_hz * rr_s) ** 2))


# --- beats -------------------------------------------------------------------------


def _sequential_beats(
    rr_grid_ms: np.ndarray, grid_start_s: float, first_s: float, stop_s: float, noise_ms: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return (end_s, rr_ms) of beats with t_{k+1} = t_k + rr(t_k) + noise_k until stop_s."""
    grid = rr_grid_ms.tolist()
    noise = noise_ms.tolist()
    per_step = 1.0 / _GRID_DT_S
    rr_low, rr_high = _RR_LIMITS_MS
    ends: list[float] = []
    rrs: list[float] = []
    t = first_s
    k = 0
    while t <= stop_s:
        x = (t - grid_start_s) * per_step
        i = int(x)
        left = grid[i]
        rr = left + (x - i) * (grid[i + 1] - left) + noise[k]
        rr = min(max(rr, rr_low), rr_high)
        t += rr * 1e-3
        ends.append(t)
        rrs.append(rr)
        k += 1
    return np.array(ends), np.array(rrs)


def apply_artifacts(
    end_s: np.ndarray, rr_ms: np.ndarray, profile: PersonProfile, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (end_s, rr_ms, kind) of the strap's detections after beat artifacts.

    Every artifact keeps the total time of the beats it touches, so detections after
    it stay where the heart put them.
    """
    n = rr_ms.size
    # Draw everything up front so the same seed gives the same beats at any rate.
    draws = rng.random(n)
    prematurity = rng.uniform(*_ECTOPIC_PREMATURITY, size=n)
    split = rng.uniform(*_EXTRA_SPLIT, size=n)
    p_ectopic = profile.ectopic_rate
    p_missed = p_ectopic + profile.missed_rate
    p_extra = p_missed + profile.extra_rate
    if p_extra == 0.0:
        return end_s, rr_ms, np.zeros(n, dtype=np.int8)

    out_end: list[float] = []
    out_rr: list[float] = []
    out_kind: list[int] = []
    ends = end_s.tolist()
    rrs = rr_ms.tolist()
    i = 1  # the first beat has no known start, leave it alone
    out_end.append(ends[0])
    out_rr.append(rrs[0])
    out_kind.append(BEAT_NORMAL)
    while i < n:
        u = draws[i]
        if u < p_ectopic and i + 1 < n:
            short = prematurity[i] * rrs[i]
            out_end += [ends[i - 1] + short * 1e-3, ends[i + 1]]
            out_rr += [short, rrs[i] + rrs[i + 1] - short]
            out_kind += [BEAT_ECTOPIC, BEAT_ECTOPIC]
            i += 2
        elif p_ectopic <= u < p_missed and i + 1 < n:
            out_end.append(ends[i + 1])
            out_rr.append(rrs[i] + rrs[i + 1])
            out_kind.append(BEAT_MISSED)
            i += 2
        elif p_missed <= u < p_extra:
            first = split[i] * rrs[i]
            out_end += [ends[i - 1] + first * 1e-3, ends[i]]
            out_rr += [first, rrs[i] - first]
            out_kind += [BEAT_EXTRA, BEAT_EXTRA]
            i += 1
        else:
            out_end.append(ends[i])
            out_rr.append(rrs[i])
            out_kind.append(BEAT_NORMAL)
            i += 1
    return np.array(out_end), np.array(out_rr), np.array(out_kind, dtype=np.int8)


# --- one person ----------------------------------------------------------------------


def time_grid(config_duration_s: float, couplings: Sequence[Coupling]) -> np.ndarray:
    """Return the grid times in s on which HR and RR are modelled, lead-in and lags included."""
    lag_s = max((c.lag_s for c in couplings), default=0.0)
    grid_start_s = -(_LEAD_IN_S + 2.0 + lag_s)
    n_grid = math.ceil((config_duration_s + _TAIL_S + 2.0 - grid_start_s) / _GRID_DT_S) + 2
    return grid_start_s + _GRID_DT_S * np.arange(n_grid)


def slow_components(
    profiles: dict[str, PersonProfile],
    couplings: Sequence[Coupling],
    grid_s: np.ndarray,
    body_rngs: dict[str, np.random.Generator],
) -> dict[str, tuple[np.ndarray, float]]:
    """Return per person the slow HR component in bpm and the variance of its beat increments.

    `profiles` is in session order (the order the people draw in); each coupling names
    its follower, who mixes the leader's delayed unit process with their own, so their
    variance stays their own (see the simulator's model). A leader follows nobody.
    """
    unit_slow = {
        key: _unit_ou(body_rngs[key], grid_s.size, profile.drift_tau_s)
        for key, profile in profiles.items()
    }
    leading = {c.follower: c for c in couplings if c.strength > 0.0}
    slow: dict[str, tuple[np.ndarray, float]] = {}
    for key, profile in profiles.items():
        rr_rest_s = 60.0 / profile.resting_hr_bpm
        own_var = _slow_increment_var(rr_rest_s, profile.drift_tau_s)
        coupling = leading.get(key)
        if coupling is None:
            shape = unit_slow[key]
            increment_var = own_var
        else:
            leader = profiles[coupling.leader]
            s = coupling.strength
            delayed = np.interp(grid_s - coupling.lag_s, grid_s, unit_slow[coupling.leader])
            shape = s * delayed + math.sqrt(1.0 - s * s) * unit_slow[key]
            increment_var = (
                s * s * _slow_increment_var(rr_rest_s, leader.drift_tau_s) + (1.0 - s * s) * own_var
            )
        slow[key] = (profile.drift_bpm * shape, profile.drift_bpm**2 * increment_var)
    return slow


def rr_grid(
    profile: PersonProfile,
    body_rng: np.random.Generator,
    grid_s: np.ndarray,
    slow_bpm: np.ndarray,
    slow_increment_var_bpm2: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the underlying HR (bpm) and RR (ms, RSA and Mayer wave included) on the grid."""
    n_grid = grid_s.size
    hr_grid_bpm = profile.resting_hr_bpm + slow_bpm
    rsa_scale = np.ones(n_grid)
    for episode in profile.episodes:
        weight = _episode_weight(grid_s, episode)
        hr_grid_bpm = hr_grid_bpm + episode.hr_increase_bpm * weight
        rsa_scale *= 1.0 - (1.0 - episode.rmssd_factor) * weight
    hr_grid_bpm = np.clip(hr_grid_bpm, *_HR_LIMITS_BPM)
    rsa_ms = _rsa_amplitude_ms(profile, slow_increment_var_bpm2)
    rr_grid_ms = (
        60000.0 / hr_grid_bpm
        + rsa_ms * rsa_scale * np.sin(_wandering_phase(body_rng, n_grid, profile.breathing_hz))
        + profile.lf_amplitude_ms * np.sin(_wandering_phase(body_rng, n_grid, _LF_HZ))
    )
    return hr_grid_bpm, rr_grid_ms


def heart_beats(
    rr_grid_ms: np.ndarray, grid_s: np.ndarray, duration_s: float, body_rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Return (end_s, rr_ms) of the heart's beats from the lead-in to past the session's end."""
    first_s = -_LEAD_IN_S - body_rng.uniform(0.0, 1.5)
    stop_s = duration_s + _TAIL_S
    max_beats = math.ceil((stop_s - first_s) / (_RR_LIMITS_MS[0] * 1e-3)) + 2
    noise_ms = body_rng.standard_normal(max_beats) * _WHITE_NOISE_MS
    return _sequential_beats(rr_grid_ms, float(grid_s[0]), first_s, stop_s, noise_ms)
