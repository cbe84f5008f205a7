"""The strap simulator's configuration: two people, their coupling, the link, the demo.

Groups of 2-6 people are configured in `_sim_group.py` with the same profiles and couplings.

Every value is checked on construction (`ValueError` naming the field and its range),
so :func:`coregulate.acquisition.simulator.simulate_dyad` can trust what it gets.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Final

from coregulate.signal.dyad import ROLES
from coregulate.signal.people import KEY_RE

_MAX_RR_PER_ATT_PAYLOAD: Final = 9  # 20-byte default ATT payload: flags + HR + 9 RRs


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
    leader : str
        Whose slow component is shared: in a :class:`DyadConfig` "client" or
        "therapist", in a group (``_sim_group.GroupConfig``) any person's key.
    lag_s : float
        Delay of the follower behind the leader, 0..30 s.
    strength : float
        0..1; the follower's slow component is ``strength`` times the leader's delayed
        by `lag_s` plus ``sqrt(1 - strength**2)`` times its own. 0 is independent.
    follower : str or None
        Who follows. None in a dyad: the other of the two (the dyad's form); a group's
        couplings name it.
    """

    leader: str = "therapist"
    lag_s: float = 2.0
    strength: float = 0.6
    follower: str | None = None

    def __post_init__(self) -> None:
        if self.follower is None:
            if self.leader not in ROLES:
                raise ValueError(f"Coupling.leader must be one of {ROLES}, got {self.leader!r}")
        else:
            for name in ("leader", "follower"):
                if not isinstance(getattr(self, name), str) or not KEY_RE.match(
                    getattr(self, name)
                ):
                    raise ValueError(
                        f"Coupling.{name} must be a person's key, got {getattr(self, name)!r}"
                    )
            if self.leader == self.follower:
                raise ValueError(f"Coupling: {self.leader!r} cannot follow themselves")
        _check_range("Coupling.lag_s", self.lag_s, 0.0, 30.0)
        _check_range("Coupling.strength", self.strength, 0.0, 1.0)

    def in_dyad(self) -> Coupling:
        """Return this coupling with its follower named (the other role of the dyad)."""
        if self.follower is not None:
            return self
        other = ROLES[1] if self.leader == ROLES[0] else ROLES[0]
        return replace(self, follower=other)


def check_link(config: Any) -> None:
    """Raise ValueError unless `config`'s session length, seed and link settings are in range."""
    _check_range("duration_s", config.duration_s, 1.0, 86400.0)
    seed = config.seed
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    _check_range("notification_interval_s", config.notification_interval_s, 0.05, 10.0)
    low_ms = _check_range("latency_min_ms", config.latency_min_ms, 0.0, 2000.0)
    _check_range("latency_max_ms", config.latency_max_ms, low_ms, 2000.0)
    n_rr = config.max_rr_per_notification
    if not 1 <= n_rr <= _MAX_RR_PER_ATT_PAYLOAD:
        raise ValueError(
            f"max_rr_per_notification must be 1..{_MAX_RR_PER_ATT_PAYLOAD}, got {n_rr}"
        )


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
        pair = (
            ()
            if self.coupling is None
            else (self.coupling.leader, self.coupling.in_dyad().follower)
        )
        if pair and set(pair) != set(ROLES):
            raise ValueError(f"DyadConfig.coupling must couple {ROLES}, got {self.coupling}")
        check_link(self)

    @property
    def keys(self) -> tuple[str, ...]:
        """Return the people's keys in session order: the dyad's roles."""
        return ROLES

    def profile_of(self, key: str) -> PersonProfile:
        """Return the profile of the person with `key`."""
        if key not in ROLES:
            raise KeyError(key)
        return getattr(self, key)

    @property
    def couplings(self) -> tuple[Coupling, ...]:
        """Return the coupling with its follower named, or () for independent people."""
        return () if self.coupling is None else (self.coupling.in_dyad(),)


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
