"""Seeded, deterministic simulation of a client-therapist pair (or a group) of BLE chest straps.

:func:`simulate_group` does the same for 2-6 people keyed by person key, with
couplings between named pairs (`_sim_group.py`: who may follow whom, the demo group).

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
NumPy 2.4); a 10-minute session about 10 ms. Groups grow with the number of people:
a two-hour `demo_group_config(n)` took 0.36 s (n = 2), 0.51 s (4) and 0.84 s (6) on
the same VM while it was busy (load 7 on 2 cores; median of 3, ``simulate_group`` timed
with ``time.perf_counter``).

Examples
--------
>>> sim = simulate_dyad(demo_config(seed=1, duration_s=60.0))
>>> sim.events[0].kind
'notification'
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from coregulate.acquisition._sim_config import (
    ArousalEpisode,
    Coupling,
    DyadConfig,
    PersonProfile,
    demo_config,
)
from coregulate.acquisition._sim_group import (
    DEMO_GROUP_COUPLINGS,
    GroupConfig,
    SimPerson,
    demo_group_config,
    demo_group_for,
)
from coregulate.acquisition._sim_heart import (
    BEAT_ECTOPIC,
    BEAT_EXTRA,
    BEAT_KIND_NAMES,
    BEAT_MISSED,
    BEAT_NORMAL,
    apply_artifacts,
    heart_beats,
    rr_grid,
    slow_components,
    time_grid,
)
from coregulate.acquisition._sim_strap import StrapEvent, strap_events
from coregulate.signal.dyad import ROLES

__all__ = [
    "BEAT_ECTOPIC",
    "BEAT_EXTRA",
    "BEAT_KIND_NAMES",
    "BEAT_MISSED",
    "BEAT_NORMAL",
    "DEMO_GROUP_COUPLINGS",
    "ROLES",
    "ArousalEpisode",
    "Coupling",
    "DyadConfig",
    "DyadSimulation",
    "GroupConfig",
    "GroupSimulation",
    "PersonProfile",
    "SimPerson",
    "StrapEvent",
    "TrueBeats",
    "demo_config",
    "demo_group_config",
    "demo_group_for",
    "simulate_dyad",
    "simulate_group",
]

logger = logging.getLogger(__name__)


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
    config : DyadConfig or GroupConfig
        What was simulated.
    events : tuple of StrapEvent
        All straps' events sorted by ``arrival_ns`` (session order on ties: client
        first in a dyad); ``StrapEvent.role`` is the person's key.
    truth : dict of str to TrueBeats
        Detections per role (person key), in session order.
    sent_ns : dict of str to numpy.ndarray
        Host-clock send time of each notification per role, in the order of that
        role's notification events (ground truth for latency tests).
    """

    config: DyadConfig | GroupConfig
    events: tuple[StrapEvent, ...]
    truth: dict[str, TrueBeats]
    sent_ns: dict[str, np.ndarray]


# A group's simulation is the same record, keyed by person key.
GroupSimulation = DyadSimulation


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
    return _simulate(config)


def simulate_group(config: GroupConfig) -> DyadSimulation:
    """Return the simulated events and ground-truth beats of a session of 2-6 people.

    As :func:`simulate_dyad`, keyed by person key: events sorted by arrival (session
    order on ties), ``truth`` and ``sent_ns`` per key. A group of the dyad's two keys
    (``GroupConfig.from_dyad``) gives the dyad's events byte for byte.

    Examples
    --------
    >>> sim = simulate_group(demo_group_config(4, seed=1, duration_s=30.0))
    >>> list(sim.truth)
    ['client', 'partner', 'therapist', 'co-therapist']
    """
    return _simulate(config)


def _simulate(config: DyadConfig | GroupConfig) -> DyadSimulation:
    """Return the simulation of `config`'s people: each draws from their own generators."""
    keys = config.keys
    profiles = {key: config.profile_of(key) for key in keys}
    person_rngs = dict(zip(keys, np.random.default_rng(config.seed).spawn(len(keys)), strict=True))
    streams = {key: rng.spawn(3) for key, rng in person_rngs.items()}  # body, strap, link
    grid_s = time_grid(config.duration_s, config.couplings)
    body_rngs = {key: streams[key][0] for key in keys}
    slow = slow_components(profiles, config.couplings, grid_s, body_rngs)

    truth: dict[str, TrueBeats] = {}
    sent_ns: dict[str, np.ndarray] = {}
    key_events: list[list[StrapEvent]] = []
    for key in keys:
        events, truth[key], sent_ns[key] = _simulate_person(
            key, profiles[key], config, streams[key], grid_s, slow[key]
        )
        key_events.append(events)

    order = {key: i for i, key in enumerate(keys)}
    merged = sorted(
        (event for events in key_events for event in events),
        key=lambda e: (e.arrival_ns, order[e.role]),
    )
    logger.debug(
        "simulated %.0f s: %d events, %s beats",
        config.duration_s,
        len(merged),
        {key: truth[key].t_ns.size for key in keys},
    )
    return DyadSimulation(config=config, events=tuple(merged), truth=truth, sent_ns=sent_ns)


def _simulate_person(
    role: str,
    profile: PersonProfile,
    config: DyadConfig | GroupConfig,
    streams: list[np.random.Generator],
    grid_s: np.ndarray,
    slow: tuple[np.ndarray, float],
) -> tuple[list[StrapEvent], TrueBeats, np.ndarray]:
    """Return one strap's events, its true detections and its notification send times (ns)."""
    body_rng, strap_rng, link_rng = streams
    hr_grid_bpm, rr_grid_ms = rr_grid(profile, body_rng, grid_s, *slow)
    end_s, rr_host_ms = heart_beats(rr_grid_ms, grid_s, config.duration_s, body_rng)
    end_s, rr_host_ms, kind = apply_artifacts(end_s, rr_host_ms, profile, strap_rng)
    # Detections before the session stay for the strap's HR estimate only.
    keep = end_s <= config.duration_s
    end_s, rr_host_ms, kind = end_s[keep], rr_host_ms[keep], kind[keep]
    rr_strap_ms = rr_host_ms * (1.0 + profile.clock_drift_ppm * 1e-6)
    events, delivered, sent = strap_events(role, end_s, rr_strap_ms, profile, config, link_rng)
    in_session = end_s > 0.0
    end_s, rr_strap_ms, kind = end_s[in_session], rr_strap_ms[in_session], kind[in_session]
    truth = TrueBeats(
        t_ns=np.rint(end_s * 1e9).astype(np.int64),
        rr_ms=rr_strap_ms,
        kind=kind,
        hr_bpm=np.interp(end_s, grid_s, hr_grid_bpm),
        delivered=delivered[in_session],
    )
    for array in (*vars(truth).values(), sent):
        array.flags.writeable = False
    return events, truth, sent
