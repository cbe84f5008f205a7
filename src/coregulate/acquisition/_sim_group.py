"""The simulator's group configuration: 2-6 people with keys, and who follows whom.

A :class:`GroupConfig` is a :class:`~coregulate.acquisition._sim_config.DyadConfig`
for any number of people: each person is a key and a profile, and each
:class:`Coupling` names its leader and follower. A follower has one leader (its slow
HR component is the leader's delayed, mixed with its own, as in the dyad), and a
leader follows nobody: chains would couple the first leader with the last follower
at the summed lag, a coupling no test could name. Followers of the same leader are
correlated through that leader (at the difference of their lags); the demo therefore
couples disjoint pairs only, so every other pair is truly independent.

The same seed gives the same beats: people draw from ``default_rng(seed).spawn(n)`` in
session order, so a group of the dyad's two keys simulates exactly the dyad
(:meth:`GroupConfig.from_dyad`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from coregulate.acquisition._sim_config import (
    Coupling,
    DyadConfig,
    PersonProfile,
    check_link,
    demo_config,
)
from coregulate.signal.people import MAX_PEOPLE, MIN_PEOPLE, check_people, demo_people, make_person


@dataclass(frozen=True)
class SimPerson:
    """One simulated person: their key (topic suffix, e.g. "partner") and physiology."""

    key: str
    profile: PersonProfile = field(default_factory=PersonProfile)

    def __post_init__(self) -> None:
        make_person(self.key)  # PeopleError (a ValueError) for a key a session cannot have
        if not isinstance(self.profile, PersonProfile):
            raise TypeError(f"SimPerson {self.key!r}: profile must be a PersonProfile")


@dataclass(frozen=True)
class GroupConfig:
    """Everything ``simulate_group`` needs for 2-6 people; the same config, the same events.

    Attributes
    ----------
    people : tuple of SimPerson
        The people in session order (their keys are their topic suffixes).
    couplings : tuple of Coupling
        Each with ``follower`` named; at most one per follower, and no leader follows.
    duration_s, seed, notification_interval_s, latency_min_ms, latency_max_ms,
    max_rr_per_notification
        As in :class:`DyadConfig`.
    """

    people: tuple[SimPerson, ...]
    couplings: tuple[Coupling, ...] = ()
    duration_s: float = 600.0
    seed: int = 0
    notification_interval_s: float = 1.0
    latency_min_ms: float = 7.5
    latency_max_ms: float = 60.0
    max_rr_per_notification: int = 4

    def __post_init__(self) -> None:
        people = tuple(self.people)
        if not all(isinstance(p, SimPerson) for p in people):
            raise TypeError("GroupConfig.people must be SimPerson instances")
        check_people([make_person(p.key) for p in people])
        object.__setattr__(self, "people", people)
        couplings = tuple(self.couplings)
        object.__setattr__(self, "couplings", couplings)
        _check_couplings(couplings, self.keys)
        check_link(self)

    @property
    def keys(self) -> tuple[str, ...]:
        """Return the people's keys in session order."""
        return tuple(p.key for p in self.people)

    def profile_of(self, key: str) -> PersonProfile:
        """Return the profile of the person with `key` (KeyError if none)."""
        for person in self.people:
            if person.key == key:
                return person.profile
        raise KeyError(key)

    @classmethod
    def from_dyad(cls, config: DyadConfig) -> GroupConfig:
        """Return the group of the dyad's two people: it simulates exactly as the dyad."""
        return cls(
            people=tuple(SimPerson(k, config.profile_of(k)) for k in config.keys),
            couplings=config.couplings,
            duration_s=config.duration_s,
            seed=config.seed,
            notification_interval_s=config.notification_interval_s,
            latency_min_ms=config.latency_min_ms,
            latency_max_ms=config.latency_max_ms,
            max_rr_per_notification=config.max_rr_per_notification,
        )


def _check_couplings(couplings: tuple[Coupling, ...], keys: tuple[str, ...]) -> None:
    """Raise ValueError unless every coupling names two of `keys`, one leader per follower."""
    followers: set[str] = set()
    for c in couplings:
        if not isinstance(c, Coupling):
            raise TypeError("GroupConfig.couplings must be Coupling instances")
        if c.follower is None:
            raise ValueError(f"a group's Coupling names its follower: {c}")
        for key in (c.leader, c.follower):
            if key not in keys:
                raise ValueError(f"Coupling names {key!r}, who is not one of {keys}")
        if c.follower in followers:
            raise ValueError(f"{c.follower!r} follows more than one leader; give them one")
        followers.add(c.follower)
    leaders_following = {c.leader for c in couplings} & followers
    if leaders_following:
        raise ValueError(
            f"{sorted(leaders_following)} both lead and follow; couple pairs or one leader "
            "with several followers, not chains"
        )


# The demo's extra people (the dyad's client and therapist come from demo_config).
_ARTIFACTS: Final = {"ectopic_rate": 0.002, "missed_rate": 0.002, "extra_rate": 0.001}
_DEMO_PROFILES: Final = {
    "partner": PersonProfile(72.0, 38.0, 0.24, 14.0, 3.0, clock_drift_ppm=15.0, **_ARTIFACTS),
    "co-therapist": PersonProfile(68.0, 52.0, 0.18, 15.0, 2.5, clock_drift_ppm=-10.0, **_ARTIFACTS),
    "child": PersonProfile(88.0, 55.0, 0.30, 12.0, 3.5, clock_drift_ppm=30.0, **_ARTIFACTS),
    "sibling": PersonProfile(84.0, 50.0, 0.29, 12.0, 3.5, clock_drift_ppm=-35.0, **_ARTIFACTS),
}
# Disjoint pairs, so every pair not listed is independent (see the module docstring).
DEMO_GROUP_COUPLINGS: Final = (
    Coupling(leader="therapist", follower="client", lag_s=2.0, strength=0.6),
    Coupling(leader="co-therapist", follower="partner", lag_s=3.0, strength=0.6),
    Coupling(leader="child", follower="sibling", lag_s=1.5, strength=0.5),
)


def demo_group_config(
    n: int = 4,
    seed: int = 1,
    duration_s: float = 600.0,
    couplings: tuple[Coupling, ...] | None = None,
) -> GroupConfig:
    """Return the demo group of `n` people (2-6, keys as `people.demo_people(n)`).

    n = 2 is exactly :func:`demo_config` (therapist leads the client by 2 s, strength
    0.5). Larger groups: the client and therapist of the dyad's demo (the client's
    arousal episodes, contact loss and disconnection included) plus a partner,
    co-therapist, child and sibling with their own physiology and clock drift, and
    the couplings of :data:`DEMO_GROUP_COUPLINGS` among the people present:

    - therapist leads client by 2 s, strength 0.6;
    - co-therapist leads partner by 3 s, strength 0.6 (n >= 4);
    - child leads sibling by 1.5 s, strength 0.5 (n = 6).

    Every other pair is independent: n = 3 has one coupled pair of 3, n = 4 two of 6,
    n = 5 two of 10, n = 6 three of 15. `couplings` replaces them (e.g. () for none).
    """
    if not MIN_PEOPLE <= n <= MAX_PEOPLE:
        raise ValueError(f"a group has {MIN_PEOPLE} to {MAX_PEOPLE} people, not {n}")
    keys = tuple(p.key for p in demo_people(n))
    return demo_group_for(keys, seed, duration_s, couplings)


def demo_group_for(
    keys: tuple[str, ...],
    seed: int = 1,
    duration_s: float = 600.0,
    couplings: tuple[Coupling, ...] | None = None,
) -> GroupConfig:
    """Return the demo group of the people `keys` (what `demo` and `monitor ... =sim` run).

    The dyad's keys give exactly :func:`demo_config`; the demo's keys their demo
    profiles (see :func:`demo_group_config`); any other key a resting profile whose HR
    and breathing differ by place. Couplings: :data:`DEMO_GROUP_COUPLINGS` among the
    people present, or `couplings`.
    """
    dyad = demo_config(seed=seed, duration_s=duration_s)
    if keys == dyad.keys and couplings is None:
        return GroupConfig.from_dyad(dyad)
    people = tuple(SimPerson(k, _demo_profile(dyad, k, i)) for i, k in enumerate(keys))
    if couplings is None:
        couplings = tuple(
            c for c in DEMO_GROUP_COUPLINGS if c.leader in keys and c.follower in keys
        )
    return GroupConfig(people=people, couplings=couplings, duration_s=duration_s, seed=seed)


def _demo_profile(dyad: DyadConfig, key: str, place: int) -> PersonProfile:
    """Return the demo's profile for `key`, or a plain one varied by its place in the session."""
    if key in dyad.keys:
        return dyad.profile_of(key)
    if key in _DEMO_PROFILES:
        return _DEMO_PROFILES[key]
    return PersonProfile(
        resting_hr_bpm=66.0 + 4.0 * place,
        breathing_hz=0.18 + 0.02 * place,
        clock_drift_ppm=10.0 * place - 25.0,
        **_ARTIFACTS,
    )
