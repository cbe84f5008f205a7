"""Seeded, deterministic simulation of a client-therapist pair of BLE chest straps.

:func:`simulate_dyad` precomputes a whole session with NumPy: the true beats of each
person (ground truth for tests) and the stream of strap events a host would see, with
real Heart Rate Measurement (0x2A37) payloads, arrival jitter, strap clock drift, beat
artifacts, contact losses and disconnections. No asyncio and no sockets here: an async
source replays :attr:`DyadSimulation.events` at their ``arrival_ns``.

Model, per person (host clock, seconds):

- underlying HR(t) = resting + slow component + arousal ramps, in bpm. The slow
  component is an Ornstein-Uhlenbeck process (SD ``drift_bpm``, time constant
  ``drift_tau_s``). With a :class:`Coupling`, the follower's slow component is
  ``strength * leader(t - lag) + sqrt(1 - strength**2) * own(t)`` on unit-variance
  processes scaled by the follower's ``drift_bpm``, so its variance stays its own.
- RR at each beat = 60000 / HR(t_k) + RSA + LF (~0.1 Hz Mayer wave) + white noise, with
  t_{k+1} = t_k + RR_k. Breathing and Mayer-wave frequencies wander slowly (about 10 %)
  so that two people never share a perfectly periodic component. The RSA amplitude A
  is calibrated from ``rmssd_ms``: RMSSD^2 ~ 2 A^2 sin^2(pi f RR) plus the
  successive-difference power of the slow, LF and noise components, all at rest.
  Arousal episodes raise HR and scale A by ``rmssd_factor``, ramping in and out over
  up to 20 s with a raised cosine.
- Artifacts on the strap's list of detections, each keeping the total time, so later
  detections stay on time: ectopic (short premature RR, then a compensatory RR summing
  to the two normal ones), missed (two RRs merged), extra (one RR split in two).
- The strap clock runs ``clock_drift_ppm`` fast: measured RR = true RR * (1 + ppm/1e6)
  and notifications are ``notification_interval_s`` apart on the strap clock.
- Each notification carries the RRs that ended since the previous one (at most
  ``max_rr_per_notification``, the rest carry over), ticks = round(rr_ms * 1.024)
  (ties to even), and HR = round(60000 / mean of the last four RRs within 5 s).
  Arrival = send time on the host clock + uniform latency, strictly increasing per
  strap.
- Contact loss: notifications continue with the contact bit False, HR 0 and no RRs;
  RRs overlapping the loss, and RRs still queued when it starts, are not delivered.
  Disconnection: a "disconnected" event at its start, no notifications, a "connected"
  event at its end; RRs ending inside it, or queued when it starts, are lost (the strap
  keeps measuring, so the first RR ending after it is delivered).

Generating a two-hour session (both straps, demo scenario, about 14 400 events) takes
0.10-0.12 s (`benchmarks/bench_simulator.py` on a 2-core AMD EPYC VM, Python 3.11,
NumPy 2.4); a 10-minute session about 10 ms.

Examples
--------
>>> sim = simulate_dyad(demo_config(seed=1, duration_s=60.0))
>>> sim.events[0].kind
'notification'
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np

from coregulate.acquisition.hrm import encode_heart_rate_measurement
from coregulate.signal.dyad import ROLES

__all__ = [
    "BEAT_ECTOPIC",
    "BEAT_EXTRA",
    "BEAT_KIND_NAMES",
    "BEAT_MISSED",
    "BEAT_NORMAL",
    "ROLES",
    "ArousalEpisode",
    "Coupling",
    "DyadConfig",
    "DyadSimulation",
    "PersonProfile",
    "StrapEvent",
    "TrueBeats",
    "demo_config",
    "simulate_dyad",
]

logger = logging.getLogger(__name__)


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
_HR_ESTIMATE_WINDOW_S: Final = 5.0
_HR_ESTIMATE_BEATS: Final = 4
_TICKS_PER_MS: Final = 1.024
_MAX_RR_PER_ATT_PAYLOAD: Final = 9  # 20-byte default ATT payload: flags + HR + 9 RRs


# --- configuration -----------------------------------------------------------------


def _check_range(name: str, value: float, low: float, high: float) -> float:
    number = float(value)
    if not (math.isfinite(number) and low <= number <= high):
        raise ValueError(f"{name} must be within [{low}, {high}], got {value!r}")
    return number


def _check_windows(name: str, windows: Iterable[tuple[float, float]]) -> tuple:
    """Return (start_s, duration_s) windows as sorted float tuples, or raise ValueError."""
    checked = []
    for window in windows:
        start_s, duration_s = window
        start_s = _check_range(f"{name} start_s", start_s, 0.0, 1e6)
        duration_s = _check_range(f"{name} duration_s", duration_s, 1e-3, 1e6)
        checked.append((start_s, duration_s))
    checked.sort()
    for (s0, d0), (s1, _) in itertools.pairwise(checked):
        if s0 + d0 > s1:
            raise ValueError(
                f"{name} windows overlap: ({s0}, {d0}) runs into the one starting at {s1}; "
                f"merge them into one window"
            )
    return tuple(checked)


@dataclass(frozen=True)
class ArousalEpisode:
    """A period of raised HR and reduced RSA, ramping in and out over up to 20 s.

    Attributes
    ----------
    start_s, duration_s : float
        When the episode starts on the session clock and how long it lasts in total,
        ramps included.
    hr_increase_bpm : float
        HR added at the plateau (negative values model a calming period).
    rmssd_factor : float
        Factor applied to the RSA amplitude at the plateau.
    """

    start_s: float
    duration_s: float
    hr_increase_bpm: float = 15.0
    rmssd_factor: float = 0.5

    def __post_init__(self) -> None:
        _check_range("ArousalEpisode.start_s", self.start_s, 0.0, 1e6)
        _check_range("ArousalEpisode.duration_s", self.duration_s, 1.0, 1e6)
        _check_range("ArousalEpisode.hr_increase_bpm", self.hr_increase_bpm, -40.0, 100.0)
        _check_range("ArousalEpisode.rmssd_factor", self.rmssd_factor, 0.0, 2.0)


@dataclass(frozen=True)
class PersonProfile:
    """Physiology and strap behaviour of one simulated person.

    Attributes
    ----------
    resting_hr_bpm : float
        Resting heart rate, 40..120 bpm.
    rmssd_ms : float
        Target RMSSD at rest, 5..250 ms; the RSA amplitude is calibrated to it.
    breathing_hz : float
        Mean breathing rate, 0.1..0.5 Hz.
    lf_amplitude_ms : float
        Amplitude of the ~0.1 Hz Mayer-wave component of RR.
    drift_bpm, drift_tau_s : float
        SD and time constant of the slow Ornstein-Uhlenbeck HR component (the part a
        :class:`Coupling` shares).
    episodes : tuple of ArousalEpisode
        Arousal episodes.
    ectopic_rate, missed_rate, extra_rate : float
        Per-beat probabilities (each 0..0.2) of a premature beat with compensatory
        pause, a beat the strap misses, and a spurious extra detection.
    contact_loss : tuple of (start_s, duration_s)
        Periods without skin contact: notifications continue with contact False,
        HR 0 and no RRs.
    disconnections : tuple of (start_s, duration_s)
        Periods without a BLE link: no notifications, and beats ending inside are lost.
    clock_drift_ppm : float
        How fast the strap clock runs against the host, -1000..1000 ppm.
    """

    resting_hr_bpm: float = 70.0
    rmssd_ms: float = 40.0
    breathing_hz: float = 0.25
    lf_amplitude_ms: float = 15.0
    drift_bpm: float = 3.0
    drift_tau_s: float = 8.0
    episodes: tuple[ArousalEpisode, ...] = ()
    ectopic_rate: float = 0.0
    missed_rate: float = 0.0
    extra_rate: float = 0.0
    contact_loss: tuple[tuple[float, float], ...] = ()
    disconnections: tuple[tuple[float, float], ...] = ()
    clock_drift_ppm: float = 0.0

    def __post_init__(self) -> None:
        _check_range("resting_hr_bpm", self.resting_hr_bpm, 40.0, 120.0)
        _check_range("rmssd_ms", self.rmssd_ms, 5.0, 250.0)
        _check_range("breathing_hz", self.breathing_hz, 0.1, 0.5)
        _check_range("lf_amplitude_ms", self.lf_amplitude_ms, 0.0, 200.0)
        _check_range("drift_bpm", self.drift_bpm, 0.0, 30.0)
        _check_range("drift_tau_s", self.drift_tau_s, 0.5, 600.0)
        for name in ("ectopic_rate", "missed_rate", "extra_rate"):
            _check_range(name, getattr(self, name), 0.0, 0.2)
        _check_range("clock_drift_ppm", self.clock_drift_ppm, -1000.0, 1000.0)
        episodes = tuple(self.episodes)
        if not all(isinstance(e, ArousalEpisode) for e in episodes):
            raise TypeError("episodes must be ArousalEpisode instances")
        object.__setattr__(self, "episodes", episodes)
        object.__setattr__(self, "contact_loss", _check_windows("contact_loss", self.contact_loss))
        object.__setattr__(
            self, "disconnections", _check_windows("disconnections", self.disconnections)
        )


@dataclass(frozen=True)
class Coupling:
    """How the follower's slow HR component follows the leader's.

    Attributes
    ----------
    leader : {"client", "therapist"}
        Whose slow component is shared.
    lag_s : float
        Delay of the follower behind the leader, 0..30 s.
    strength : float
        0..1; the follower's slow component is ``strength`` times the leader's delayed
        by `lag_s` plus ``sqrt(1 - strength**2)`` times its own. 0 is independent.
    """

    leader: Literal["client", "therapist"] = "therapist"
    lag_s: float = 2.0
    strength: float = 0.6

    def __post_init__(self) -> None:
        if self.leader not in ROLES:
            raise ValueError(f"Coupling.leader must be one of {ROLES}, got {self.leader!r}")
        _check_range("Coupling.lag_s", self.lag_s, 0.0, 30.0)
        _check_range("Coupling.strength", self.strength, 0.0, 1.0)


@dataclass(frozen=True)
class DyadConfig:
    """Everything :func:`simulate_dyad` needs; the same config gives the same events.

    Attributes
    ----------
    client, therapist : PersonProfile
        The two people.
    coupling : Coupling or None
        Shared slow HR component; None for independent people.
    duration_s : float
        Session length, up to 24 h.
    seed : int
        Seed for ``np.random.default_rng``; non-negative.
    notification_interval_s : float
        Spacing of notifications on the strap clock (0.05..10 s).
    latency_min_ms, latency_max_ms : float
        Bounds of the uniform delay from send to arrival.
    max_rr_per_notification : int
        RRs per notification (1..9, what fits a default 20-byte ATT payload); more
        carry over to the next notification.
    """

    client: PersonProfile = field(default_factory=PersonProfile)
    therapist: PersonProfile = field(default_factory=PersonProfile)
    coupling: Coupling | None = None
    duration_s: float = 600.0
    seed: int = 0
    notification_interval_s: float = 1.0
    latency_min_ms: float = 7.5
    latency_max_ms: float = 60.0
    max_rr_per_notification: int = 4

    def __post_init__(self) -> None:
        for role in ROLES:
            if not isinstance(getattr(self, role), PersonProfile):
                raise TypeError(f"DyadConfig.{role} must be a PersonProfile")
        if self.coupling is not None and not isinstance(self.coupling, Coupling):
            raise TypeError("DyadConfig.coupling must be a Coupling or None")
        _check_range("duration_s", self.duration_s, 1.0, 86400.0)
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {self.seed!r}")
        _check_range("notification_interval_s", self.notification_interval_s, 0.05, 10.0)
        _check_range("latency_min_ms", self.latency_min_ms, 0.0, 2000.0)
        _check_range("latency_max_ms", self.latency_max_ms, self.latency_min_ms, 2000.0)
        if not 1 <= self.max_rr_per_notification <= _MAX_RR_PER_ATT_PAYLOAD:
            raise ValueError(
                f"max_rr_per_notification must be 1..{_MAX_RR_PER_ATT_PAYLOAD}, "
                f"got {self.max_rr_per_notification}"
            )


# --- results -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StrapEvent:
    """One thing the host sees from a strap, stamped on the session clock.

    Attributes
    ----------
    role : str
        "client" or "therapist".
    kind : str
        "notification", "disconnected" or "connected".
    arrival_ns : int
        Arrival on the session clock (ns since session start), latency included.
    data : bytes
        The 0x2A37 payload for notifications, empty otherwise.
    """

    role: str
    kind: str
    arrival_ns: int
    data: bytes = b""


@dataclass(frozen=True, eq=False)
class TrueBeats:
    """Ground truth of one strap's detections, for tests.

    Attributes
    ----------
    t_ns : numpy.ndarray of int64
        End time of each detected interval on the session (host) clock.
    rr_ms : numpy.ndarray of float64
        The interval as the strap measured it: artifacts and clock drift included,
        before rounding to 1/1024 s ticks.
    kind : numpy.ndarray of int8
        :data:`BEAT_NORMAL`, :data:`BEAT_ECTOPIC`, :data:`BEAT_MISSED` or
        :data:`BEAT_EXTRA`; names in :data:`BEAT_KIND_NAMES`.
    hr_bpm : numpy.ndarray of float64
        Underlying HR (resting + slow + episodes) at ``t_ns``.
    delivered : numpy.ndarray of bool
        Whether the RR reached the host in a notification. The RR ticks of all
        notifications, concatenated, are the delivered RRs in order.
    """

    t_ns: np.ndarray
    rr_ms: np.ndarray
    kind: np.ndarray
    hr_bpm: np.ndarray
    delivered: np.ndarray


@dataclass(frozen=True, eq=False)
class DyadSimulation:
    """A simulated session: the events a host receives and the truth behind them.

    Attributes
    ----------
    config : DyadConfig
        What was simulated.
    events : tuple of StrapEvent
        Both straps' events sorted by ``arrival_ns`` (client first on ties).
    truth : dict of str to TrueBeats
        Detections per role.
    sent_ns : dict of str to numpy.ndarray
        Host-clock send time of each notification per role, in the order of that
        role's notification events (ground truth for latency tests).
    """

    config: DyadConfig
    events: tuple[StrapEvent, ...]
    truth: dict[str, TrueBeats]
    sent_ns: dict[str, np.ndarray]


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


def _apply_artifacts(
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


def _in_windows(t_s: np.ndarray, windows: tuple[tuple[float, float], ...]) -> np.ndarray:
    inside = np.zeros(t_s.shape, dtype=bool)
    for start_s, duration_s in windows:
        inside |= (t_s >= start_s) & (t_s < start_s + duration_s)
    return inside


def _overlaps_windows(
    start_s: np.ndarray, end_s: np.ndarray, windows: tuple[tuple[float, float], ...]
) -> np.ndarray:
    hit = np.zeros(start_s.shape, dtype=bool)
    for w_start_s, w_duration_s in windows:
        hit |= (start_s < w_start_s + w_duration_s) & (end_s > w_start_s)
    return hit


# --- strap and link ----------------------------------------------------------------


def _strap_events(
    role: str,
    end_s: np.ndarray,
    rr_ms: np.ndarray,
    profile: PersonProfile,
    config: DyadConfig,
    rng: np.random.Generator,
) -> tuple[list[StrapEvent], np.ndarray, np.ndarray]:
    """Return (events, delivered mask, notification send times in ns) for one strap."""
    drift = 1.0 + profile.clock_drift_ppm * 1e-6
    spacing_s = config.notification_interval_s / drift
    first_send_s = rng.uniform(0.0, spacing_s)
    send_s = first_send_s + spacing_s * np.arange(
        max(0, math.ceil((config.duration_s - first_send_s) / spacing_s))
    )
    latency_ns = rng.uniform(config.latency_min_ms, config.latency_max_ms, size=send_s.size) * 1e6
    arrival_nominal_ns = np.rint(send_s * 1e9 + latency_ns).astype(np.int64).tolist()
    send_ns = np.rint(send_s * 1e9).astype(np.int64).tolist()

    start_s = end_s - rr_ms / drift * 1e-3
    measured = ~_overlaps_windows(start_s, end_s, profile.contact_loss)
    deliverable = (measured & (end_s > 0.0) & ~_in_windows(end_s, profile.disconnections)).tolist()
    ticks = np.rint(rr_ms * _TICKS_PER_MS).astype(np.int64).tolist()
    hr_field_bpm = _strap_hr_estimates(send_s, end_s[measured], rr_ms[measured]).tolist()
    in_contact_loss = _in_windows(send_s, profile.contact_loss).tolist()
    in_disconnection = _in_windows(send_s, profile.disconnections).tolist()
    new_hi = np.searchsorted(end_s, send_s, side="right").tolist()
    # Queued RRs are dropped when contact or the link is lost: for each tick, the last
    # such moment since the previous tick, or NaN.
    drop_points_s = np.array(
        sorted(s for s, _ in profile.contact_loss + profile.disconnections), dtype=float
    )
    drop_hi = np.searchsorted(drop_points_s, send_s, side="right")
    drop_lo = np.concatenate(([0], drop_hi))[:-1]
    last_drop_s = np.where(
        drop_hi > drop_lo, np.append(drop_points_s, np.nan)[drop_hi - 1], np.nan
    ).tolist()
    boundaries = [
        boundary
        for s, d in profile.disconnections
        for boundary in ((s, "disconnected"), (s + d, "connected"))
        if boundary[0] < config.duration_s
    ]
    end_list = end_s.tolist()

    events: list[StrapEvent] = []
    sent: list[int] = []
    delivered = np.zeros(end_s.size, dtype=bool)
    queue: list[int] = []
    last_arrival_ns = -1
    next_boundary = 0
    new_lo = 0
    for j, t_send in enumerate(send_s.tolist()):
        while next_boundary < len(boundaries) and boundaries[next_boundary][0] <= t_send:
            t_boundary, kind = boundaries[next_boundary]
            last_arrival_ns = max(round(t_boundary * 1e9), last_arrival_ns + 1)
            events.append(StrapEvent(role, kind, last_arrival_ns))
            next_boundary += 1

        queue.extend(k for k in range(new_lo, new_hi[j]) if deliverable[k])
        new_lo = new_hi[j]
        if not math.isnan(last_drop_s[j]):
            queue = [k for k in queue if end_list[k] > last_drop_s[j]]

        if in_disconnection[j]:
            queue.clear()  # already empty by construction; kept as a guard
            continue
        if in_contact_loss[j]:
            queue.clear()
            payload = encode_heart_rate_measurement(0, contact=False)
        else:
            carried = queue[: config.max_rr_per_notification]
            del queue[: config.max_rr_per_notification]
            delivered[carried] = True
            payload = encode_heart_rate_measurement(
                hr_field_bpm[j], contact=True, rr_ticks=[ticks[k] for k in carried]
            )
        last_arrival_ns = max(arrival_nominal_ns[j], last_arrival_ns + 1)
        events.append(StrapEvent(role, "notification", last_arrival_ns, payload))
        sent.append(send_ns[j])

    for t_boundary, kind in boundaries[next_boundary:]:
        last_arrival_ns = max(round(t_boundary * 1e9), last_arrival_ns + 1)
        events.append(StrapEvent(role, kind, last_arrival_ns))
    return events, delivered, np.array(sent, dtype=np.int64)


def _strap_hr_estimates(send_s: np.ndarray, end_s: np.ndarray, rr_ms: np.ndarray) -> np.ndarray:
    """Return the strap's HR field per tick: 60000 / mean of its last RRs within 5 s, or 0."""
    hi = np.searchsorted(end_s, send_s, side="right")
    lo = np.searchsorted(end_s, send_s - _HR_ESTIMATE_WINDOW_S, side="left")
    lo = np.maximum(lo, hi - _HR_ESTIMATE_BEATS)
    cumulative_ms = np.concatenate(([0.0], np.cumsum(rr_ms)))
    count = hi - lo
    total_ms = cumulative_ms[hi] - cumulative_ms[lo]
    with np.errstate(divide="ignore", invalid="ignore"):
        hr_bpm = np.where(count > 0, 60000.0 * count / total_ms, 0.0)
    return np.rint(hr_bpm).astype(np.int64)


# --- the session -------------------------------------------------------------------


def simulate_dyad(config: DyadConfig) -> DyadSimulation:
    """Return the simulated events and ground-truth beats of a client-therapist session.

    Parameters
    ----------
    config : DyadConfig
        The two people, their coupling, the link behaviour and the seed.

    Returns
    -------
    DyadSimulation
        Strap events sorted by arrival (client first on ties), true detections per
        role, and notification send times. The same config always gives byte-identical
        events.

    Examples
    --------
    >>> sim = simulate_dyad(DyadConfig(duration_s=30.0, seed=3))
    >>> sorted(sim.truth)
    ['client', 'therapist']
    """
    profiles = {"client": config.client, "therapist": config.therapist}
    person_rngs = dict(
        zip(ROLES, np.random.default_rng(config.seed).spawn(len(ROLES)), strict=True)
    )
    streams = {role: rng.spawn(3) for role, rng in person_rngs.items()}  # body, strap, link

    coupling = config.coupling
    lag_s = coupling.lag_s if coupling is not None else 0.0
    grid_start_s = -(_LEAD_IN_S + 2.0 + lag_s)
    n_grid = math.ceil((config.duration_s + _TAIL_S + 2.0 - grid_start_s) / _GRID_DT_S) + 2
    grid_s = grid_start_s + _GRID_DT_S * np.arange(n_grid)

    unit_slow = {
        role: _unit_ou(streams[role][0], n_grid, profiles[role].drift_tau_s) for role in ROLES
    }
    slow_bpm: dict[str, np.ndarray] = {}
    slow_increment_var: dict[str, float] = {}
    for role in ROLES:
        profile = profiles[role]
        rr_rest_s = 60.0 / profile.resting_hr_bpm
        own_var = _slow_increment_var(rr_rest_s, profile.drift_tau_s)
        if coupling is None or coupling.leader == role or coupling.strength == 0.0:
            shape = unit_slow[role]
            increment_var = own_var
        else:
            leader = profiles[coupling.leader]
            s = coupling.strength
            delayed = np.interp(grid_s - lag_s, grid_s, unit_slow[coupling.leader])
            shape = s * delayed + math.sqrt(1.0 - s * s) * unit_slow[role]
            increment_var = (
                s * s * _slow_increment_var(rr_rest_s, leader.drift_tau_s) + (1.0 - s * s) * own_var
            )
        slow_bpm[role] = profile.drift_bpm * shape
        slow_increment_var[role] = profile.drift_bpm**2 * increment_var

    truth: dict[str, TrueBeats] = {}
    sent_ns: dict[str, np.ndarray] = {}
    role_events: list[list[StrapEvent]] = []
    for role in ROLES:
        profile = profiles[role]
        body_rng, strap_rng, link_rng = streams[role]
        hr_grid_bpm = profile.resting_hr_bpm + slow_bpm[role]
        rsa_scale = np.ones(n_grid)
        for episode in profile.episodes:
            weight = _episode_weight(grid_s, episode)
            hr_grid_bpm = hr_grid_bpm + episode.hr_increase_bpm * weight
            rsa_scale *= 1.0 - (1.0 - episode.rmssd_factor) * weight
        hr_grid_bpm = np.clip(hr_grid_bpm, *_HR_LIMITS_BPM)
        rsa_ms = _rsa_amplitude_ms(profile, slow_increment_var[role])
        rr_grid_ms = (
            60000.0 / hr_grid_bpm
            + rsa_ms * rsa_scale * np.sin(_wandering_phase(body_rng, n_grid, profile.breathing_hz))
            + profile.lf_amplitude_ms * np.sin(_wandering_phase(body_rng, n_grid, _LF_HZ))
        )
        first_s = -_LEAD_IN_S - body_rng.uniform(0.0, 1.5)
        stop_s = config.duration_s + _TAIL_S
        max_beats = math.ceil((stop_s - first_s) / (_RR_LIMITS_MS[0] * 1e-3)) + 2
        noise_ms = body_rng.standard_normal(max_beats) * _WHITE_NOISE_MS
        end_s, rr_host_ms = _sequential_beats(rr_grid_ms, grid_start_s, first_s, stop_s, noise_ms)

        end_s, rr_host_ms, kind = _apply_artifacts(end_s, rr_host_ms, profile, strap_rng)
        # Detections before the session stay for the strap's HR estimate only.
        keep = end_s <= config.duration_s
        end_s, rr_host_ms, kind = end_s[keep], rr_host_ms[keep], kind[keep]
        rr_strap_ms = rr_host_ms * (1.0 + profile.clock_drift_ppm * 1e-6)
        events, delivered, sent = _strap_events(role, end_s, rr_strap_ms, profile, config, link_rng)
        in_session = end_s > 0.0
        end_s, rr_strap_ms, kind = end_s[in_session], rr_strap_ms[in_session], kind[in_session]
        delivered = delivered[in_session]
        role_events.append(events)
        sent_ns[role] = sent
        truth[role] = TrueBeats(
            t_ns=np.rint(end_s * 1e9).astype(np.int64),
            rr_ms=rr_strap_ms,
            kind=kind,
            hr_bpm=np.interp(end_s, grid_s, hr_grid_bpm),
            delivered=delivered,
        )
        for array in (*vars(truth[role]).values(), sent):
            array.flags.writeable = False

    order = {role: i for i, role in enumerate(ROLES)}
    merged = sorted(
        (event for events in role_events for event in events),
        key=lambda e: (e.arrival_ns, order[e.role]),
    )
    logger.debug(
        "simulated %.0f s: %d events, %s beats",
        config.duration_s,
        len(merged),
        {role: truth[role].t_ns.size for role in ROLES},
    )
    return DyadSimulation(config=config, events=tuple(merged), truth=truth, sent_ns=sent_ns)


def demo_config(seed: int = 1, duration_s: float = 600.0) -> DyadConfig:
    """Return a pleasant demo scenario scaled to `duration_s`.

    The client rests near 78 bpm and breathes at 0.27 Hz, the therapist near 64 bpm at
    0.2 Hz; the therapist leads by 2 s with strength 0.5. The client has two arousal
    episodes and, when the session is long enough, a short contact loss and a
    disconnection of up to 20 s. Both straps have about 0.5 % artifacts and realistic
    clock drift.

    Parameters
    ----------
    seed : int
        Seed of the simulation.
    duration_s : float
        Session length; the events are placed at fixed fractions of it.

    Returns
    -------
    DyadConfig
        Ready for :func:`simulate_dyad`.
    """
    episodes: tuple[ArousalEpisode, ...] = ()
    if duration_s >= 120.0:
        episodes = (
            ArousalEpisode(0.35 * duration_s, min(120.0, 0.12 * duration_s), 18.0, 0.45),
            ArousalEpisode(0.65 * duration_s, min(90.0, 0.10 * duration_s), 12.0, 0.6),
        )
    contact_loss = ((0.5 * duration_s, min(5.0, duration_s / 40.0)),) if duration_s >= 60 else ()
    disconnections = (
        ((0.85 * duration_s, min(20.0, duration_s / 10.0)),) if duration_s >= 90.0 else ()
    )
    artifacts = {"ectopic_rate": 0.002, "missed_rate": 0.002, "extra_rate": 0.001}
    client = PersonProfile(
        resting_hr_bpm=78.0,
        rmssd_ms=32.0,
        breathing_hz=0.27,
        lf_amplitude_ms=12.0,
        drift_bpm=3.0,
        episodes=episodes,
        contact_loss=contact_loss,
        disconnections=disconnections,
        clock_drift_ppm=40.0,
        **artifacts,
    )
    therapist = PersonProfile(
        resting_hr_bpm=64.0,
        rmssd_ms=48.0,
        breathing_hz=0.2,
        lf_amplitude_ms=15.0,
        drift_bpm=2.5,
        clock_drift_ppm=-25.0,
        **artifacts,
    )
    return DyadConfig(
        client=client,
        therapist=therapist,
        coupling=Coupling(leader="therapist", lag_s=2.0, strength=0.5),
        duration_s=duration_s,
        seed=seed,
    )
