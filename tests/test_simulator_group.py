"""Tests for the simulator's groups of 2-6 people (issue 19) and the dyad staying as it was."""

from __future__ import annotations

import hashlib
import itertools

import numpy as np
import pytest

from coregulate.acquisition._sim_acc import scenario_for
from coregulate.acquisition.simulator import (
    Coupling,
    DyadConfig,
    DyadSimulation,
    GroupConfig,
    PersonProfile,
    SimPerson,
    demo_config,
    demo_group_config,
    simulate_dyad,
    simulate_group,
)
from coregulate.signal.people import PeopleError, demo_people
from sim_support import cross_correlation, hr_on_grid

# sha256 of the demo dyad's events and truth (seed 1, 600 s; `_digest` below), computed
# with the simulator as it was before groups existed (main at 9eafb9a): the dyad must
# not change by one byte.
DEMO_DYAD_DIGEST = "369b61412ac298266de58ae7cb2ba93d93e52fe52be2358d187321f396ee8504"


def _digest(sim: DyadSimulation) -> str:
    h = hashlib.sha256()
    for e in sim.events:
        h.update(repr((e.role, e.kind, e.arrival_ns, e.data)).encode())
    for key in sorted(sim.truth):
        t = sim.truth[key]
        for array in (t.t_ns, t.rr_ms, t.kind, t.hr_bpm, t.delivered, sim.sent_ns[key]):
            h.update(array.tobytes())
    return h.hexdigest()


def test_the_demo_dyad_is_byte_identical_to_before_groups() -> None:
    assert _digest(simulate_dyad(demo_config(seed=1, duration_s=600.0))) == DEMO_DYAD_DIGEST


def test_a_group_of_the_dyads_two_keys_simulates_exactly_the_dyad() -> None:
    config = demo_config(seed=4, duration_s=300.0)
    assert _digest(simulate_group(GroupConfig.from_dyad(config))) == _digest(simulate_dyad(config))
    assert _digest(simulate_group(demo_group_config(2, seed=1))) == DEMO_DYAD_DIGEST


def test_the_dyads_acc_seeds_are_unchanged() -> None:
    config = demo_config(seed=5, duration_s=60.0)
    assert [scenario_for(config, k).seed for k in ("client", "therapist")] == [10, 11]
    group = demo_group_config(4, seed=5, duration_s=60.0)
    assert [scenario_for(group, k).seed for k in group.keys] == [20, 21, 22, 23]


@pytest.mark.parametrize("n", [3, 4, 5, 6])
def test_the_same_seed_gives_the_same_group_and_another_seed_another(n: int) -> None:
    first = simulate_group(demo_group_config(n, seed=7, duration_s=120.0))
    again = simulate_group(demo_group_config(n, seed=7, duration_s=120.0))
    other = simulate_group(demo_group_config(n, seed=8, duration_s=120.0))
    assert _digest(first) == _digest(again) != _digest(other)
    keys = tuple(p.key for p in demo_people(n))
    assert tuple(first.truth) == keys == tuple(first.sent_ns)
    assert {e.role for e in first.events} == set(keys)
    arrivals = [e.arrival_ns for e in first.events]
    assert arrivals == sorted(arrivals)
    for key in keys:  # about one beat per second each, 60-90 bpm resting
        assert 100 <= first.truth[key].t_ns.size <= 200


def test_the_demo_groups_couple_disjoint_pairs() -> None:
    pairs = {
        n: {(c.leader, c.follower) for c in demo_group_config(n).couplings} for n in range(3, 7)
    }
    assert pairs[3] == {("therapist", "client")}
    assert pairs[4] == pairs[5] == {("therapist", "client"), ("co-therapist", "partner")}
    assert pairs[6] == pairs[4] | {("child", "sibling")}
    assert demo_group_config(4, couplings=()).couplings == ()


@pytest.mark.parametrize(
    "make",
    [
        lambda: GroupConfig(people=(SimPerson("client"),)),
        lambda: GroupConfig(people=tuple(SimPerson(f"p{i}") for i in range(7))),
        lambda: GroupConfig(people=(SimPerson("client"), SimPerson("client"))),
        lambda: SimPerson("Client Two"),
        lambda: Coupling(leader="partner", follower="partner"),
        lambda: GroupConfig(  # a follower not in the session
            people=(SimPerson("client"), SimPerson("therapist")),
            couplings=(Coupling(leader="therapist", follower="partner"),),
        ),
        lambda: GroupConfig(  # the dyad's form, no follower named
            people=(SimPerson("client"), SimPerson("partner"), SimPerson("therapist")),
            couplings=(Coupling(leader="therapist"),),
        ),
        lambda: GroupConfig(  # two leaders for one follower
            people=(SimPerson("client"), SimPerson("partner"), SimPerson("therapist")),
            couplings=(
                Coupling(leader="therapist", follower="client"),
                Coupling(leader="partner", follower="client"),
            ),
        ),
        lambda: GroupConfig(  # a chain
            people=(SimPerson("client"), SimPerson("partner"), SimPerson("therapist")),
            couplings=(
                Coupling(leader="therapist", follower="client"),
                Coupling(leader="client", follower="partner"),
            ),
        ),
        lambda: DyadConfig(coupling=Coupling(leader="therapist", follower="partner")),
        lambda: demo_group_config(7),
        lambda: GroupConfig(people=(SimPerson("a"), SimPerson("b")), seed=-1),
    ],
)
def test_groups_a_session_cannot_have_are_refused(make) -> None:
    with pytest.raises((ValueError, PeopleError)):
        make()


def test_the_group_couplings_show_in_the_slow_heart_rate() -> None:
    """Sanity check of the truth: each coupled pair peaks at its lag, the others stay low.

    (The synchrony stage's own recovery test is the real one; this checks the input.)
    """
    duration_s = 1800.0
    config = demo_group_config(6, seed=2, duration_s=duration_s)
    sim = simulate_group(config)
    hr = {k: hr_on_grid(sim.truth[k], duration_s, measured=False) for k in config.keys}
    coupled = {(c.leader, c.follower): c.lag_s for c in config.couplings}
    for leader, follower in itertools.permutations(config.keys, 2):
        if (follower, leader) in coupled or (
            leader > follower and (leader, follower) not in coupled
        ):
            continue  # each unordered pair once, coupled pairs leader first
        lags_s, r = cross_correlation(hr[leader], hr[follower], 8.0)
        peak = int(np.argmax(np.abs(r)))
        if (leader, follower) in coupled:
            assert abs(lags_s[peak] - coupled[(leader, follower)]) <= 0.5, (leader, follower)
            # 0.31 for the client, whose arousal episodes are their own; 0.54-0.58 else
            assert r[peak] > 0.25, (leader, follower, r[peak])
        else:  # at most 0.11 with this seed (0.17 over seeds 2-4)
            assert abs(r[peak]) < 0.2, (leader, follower, r[peak])


def test_a_group_member_keeps_the_profile_given() -> None:
    calm = PersonProfile(resting_hr_bpm=55.0)
    sim = simulate_group(
        GroupConfig(
            people=(SimPerson("client"), SimPerson("partner", calm), SimPerson("therapist")),
            duration_s=120.0,
        )
    )
    assert np.median(sim.truth["partner"].hr_bpm) == pytest.approx(55.0, abs=5.0)
    assert np.median(sim.truth["client"].hr_bpm) == pytest.approx(70.0, abs=5.0)
