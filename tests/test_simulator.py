"""Tests for the simulated client-therapist strap pair."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from coregulate.acquisition import parse_heart_rate_measurement
from coregulate.acquisition.simulator import (
    BEAT_ECTOPIC,
    BEAT_EXTRA,
    BEAT_MISSED,
    BEAT_NORMAL,
    ROLES,
    ArousalEpisode,
    Coupling,
    DyadConfig,
    DyadSimulation,
    PersonProfile,
    TrueBeats,
    demo_config,
    simulate_dyad,
)
from sim_support import cross_correlation, hr_on_grid


def _notifications(sim: DyadSimulation, role: str) -> list:
    return [e for e in sim.events if e.role == role and e.kind == "notification"]


def _rmssd_ms(rr_ms: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.diff(rr_ms) ** 2)))


def _clean(**overrides: object) -> PersonProfile:
    return PersonProfile(**overrides)  # type: ignore[arg-type]


# --- determinism and validation ----------------------------------------------------


def test_same_seed_gives_identical_events_and_truth() -> None:
    a = simulate_dyad(demo_config(seed=7, duration_s=300.0))
    b = simulate_dyad(demo_config(seed=7, duration_s=300.0))
    assert a.events == b.events
    for role in ROLES:
        for name in ("t_ns", "rr_ms", "kind", "hr_bpm", "delivered"):
            np.testing.assert_array_equal(
                getattr(a.truth[role], name), getattr(b.truth[role], name)
            )


def test_different_seed_gives_different_events() -> None:
    a = simulate_dyad(demo_config(seed=7, duration_s=120.0))
    b = simulate_dyad(demo_config(seed=8, duration_s=120.0))
    assert [e.data for e in a.events] != [e.data for e in b.events]


def test_artifact_rates_do_not_change_the_heart() -> None:
    # The artifact stream is separate, so the same seed keeps the same normal beats.
    base = simulate_dyad(DyadConfig(duration_s=120.0, seed=4))
    noisy_client = _clean(missed_rate=0.05, extra_rate=0.05)
    noisy = simulate_dyad(DyadConfig(client=noisy_client, duration_s=120.0, seed=4))
    np.testing.assert_array_equal(base.truth["therapist"].rr_ms, noisy.truth["therapist"].rr_ms)
    t_base = set(base.truth["client"].t_ns.tolist())
    noisy_client_beats = noisy.truth["client"]
    # Normal detections sit exactly where the artifact-free heart put them.
    normal = noisy_client_beats.kind == BEAT_NORMAL
    assert set(noisy_client_beats.t_ns[normal].tolist()) <= t_base


@pytest.mark.parametrize(
    "overrides",
    [
        {"resting_hr_bpm": 39.0},
        {"resting_hr_bpm": 121.0},
        {"resting_hr_bpm": float("nan")},
        {"breathing_hz": 0.05},
        {"breathing_hz": 0.6},
        {"rmssd_ms": 0.0},
        {"drift_bpm": -1.0},
        {"drift_tau_s": 0.0},
        {"ectopic_rate": -0.01},
        {"missed_rate": 0.5},
        {"clock_drift_ppm": 5000.0},
        {"contact_loss": ((10.0, 0.0),)},
        {"disconnections": ((-1.0, 5.0),)},
        {"disconnections": ((10.0, 5.0), (12.0, 5.0))},
    ],
)
def test_out_of_range_profiles_are_rejected(overrides: dict) -> None:
    with pytest.raises(ValueError):
        PersonProfile(**overrides)


@pytest.mark.parametrize(
    "make",
    [
        lambda: ArousalEpisode(start_s=-1.0, duration_s=60.0),
        lambda: ArousalEpisode(start_s=10.0, duration_s=60.0, rmssd_factor=-0.1),
        lambda: Coupling(leader="supervisor"),  # type: ignore[arg-type]
        lambda: Coupling(strength=1.5),
        lambda: Coupling(lag_s=-2.0),
        lambda: DyadConfig(duration_s=0.0),
        lambda: DyadConfig(seed=-1),
        lambda: DyadConfig(latency_min_ms=80.0, latency_max_ms=60.0),
        lambda: DyadConfig(max_rr_per_notification=0),
        lambda: DyadConfig(max_rr_per_notification=10),
        lambda: DyadConfig(notification_interval_s=0.0),
    ],
)
def test_out_of_range_settings_are_rejected(make) -> None:
    with pytest.raises(ValueError):
        make()


def test_windows_are_stored_sorted_as_tuples() -> None:
    profile = PersonProfile(disconnections=[(50.0, 5.0), (10.0, 5.0)])  # type: ignore[arg-type]
    assert profile.disconnections == ((10.0, 5.0), (50.0, 5.0))
    hash(DyadConfig(client=profile))


def test_truth_arrays_are_read_only() -> None:
    beats = simulate_dyad(DyadConfig(duration_s=30.0)).truth["client"]
    with pytest.raises(ValueError):
        beats.rr_ms[0] = 1.0


# --- physiology --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resting_hr_bpm", "rmssd_ms", "breathing_hz"),
    [(70.0, 40.0, 0.25), (52.0, 80.0, 0.15), (110.0, 15.0, 0.4), (78.0, 30.0, 0.27)],
)
def test_mean_hr_and_rmssd_match_the_profile(
    resting_hr_bpm: float, rmssd_ms: float, breathing_hz: float
) -> None:
    profile = _clean(resting_hr_bpm=resting_hr_bpm, rmssd_ms=rmssd_ms, breathing_hz=breathing_hz)
    for seed in (0, 1):
        sim = simulate_dyad(
            DyadConfig(client=profile, therapist=profile, duration_s=600.0, seed=seed)
        )
        for role in ROLES:
            beats = sim.truth[role]
            assert np.all(beats.kind == BEAT_NORMAL)
            assert abs(60000.0 / beats.rr_ms.mean() - resting_hr_bpm) < 3.0
            assert abs(beats.hr_bpm.mean() - resting_hr_bpm) < 3.0
            assert abs(_rmssd_ms(beats.rr_ms) / rmssd_ms - 1.0) < 0.25


def test_arousal_episode_raises_hr_and_lowers_rmssd() -> None:
    episode = ArousalEpisode(start_s=200.0, duration_s=200.0, hr_increase_bpm=15.0)
    profile = _clean(episodes=(episode,))
    sim = simulate_dyad(DyadConfig(client=profile, duration_s=600.0, seed=2))
    beats = sim.truth["client"]
    t_s = beats.t_ns / 1e9
    before = t_s < 180.0
    plateau = (t_s > 230.0) & (t_s < 370.0)
    assert beats.hr_bpm[plateau].mean() - beats.hr_bpm[before].mean() > 10.0
    assert 60000.0 / beats.rr_ms[plateau].mean() > 60000.0 / beats.rr_ms[before].mean() + 10.0
    assert _rmssd_ms(beats.rr_ms[plateau]) < 0.8 * _rmssd_ms(beats.rr_ms[before])


def test_arousal_episode_ramps_in_and_out() -> None:
    # Episodes draw no random numbers, so the same seed without one is the baseline.
    episode = ArousalEpisode(start_s=200.0, duration_s=200.0, hr_increase_bpm=15.0)
    with_episode = simulate_dyad(
        DyadConfig(client=_clean(episodes=(episode,)), duration_s=600.0, seed=2)
    )
    baseline = simulate_dyad(DyadConfig(duration_s=600.0, seed=2))
    probe_s = np.array([190.0, 205.0, 210.0, 215.0, 300.0, 390.0, 410.0])
    raised_bpm = np.interp(
        probe_s,
        with_episode.truth["client"].t_ns / 1e9,
        with_episode.truth["client"].hr_bpm,
    ) - np.interp(probe_s, baseline.truth["client"].t_ns / 1e9, baseline.truth["client"].hr_bpm)
    expected_bpm = 15.0 * np.array([0.0, 0.5 - 0.5 * np.cos(np.pi / 4), 0.5, 0.854, 1.0, 0.5, 0.0])
    np.testing.assert_allclose(raised_bpm, expected_bpm, atol=1.0)


def test_coupled_follower_tracks_leader_with_the_configured_lag() -> None:
    duration_s = 1800.0
    config = DyadConfig(
        client=_clean(resting_hr_bpm=75.0, breathing_hz=0.28),
        therapist=_clean(resting_hr_bpm=65.0, breathing_hz=0.22),
        coupling=Coupling(leader="therapist", lag_s=2.0, strength=0.7),
        duration_s=duration_s,
        seed=3,
    )
    sim = simulate_dyad(config)
    # Underlying HR: the shared slow component is all there is.
    lags_s, r = cross_correlation(
        hr_on_grid(sim.truth["therapist"], duration_s, measured=False),
        hr_on_grid(sim.truth["client"], duration_s, measured=False),
        5.0,
    )
    peak = int(np.argmax(r))
    assert abs(lags_s[peak] - 2.0) <= 0.5
    assert r[peak] > 0.4
    # What the strap measured (RSA, Mayer waves and noise dilute it, the lag stays).
    lags_s, r = cross_correlation(
        hr_on_grid(sim.truth["therapist"], duration_s, measured=True),
        hr_on_grid(sim.truth["client"], duration_s, measured=True),
        5.0,
    )
    peak = int(np.argmax(r))
    assert abs(lags_s[peak] - 2.0) <= 0.5
    assert r[peak] > 0.3


def test_client_leading_gives_negative_lag() -> None:
    duration_s = 1200.0
    sim = simulate_dyad(
        DyadConfig(
            coupling=Coupling(leader="client", lag_s=3.0, strength=0.8),
            duration_s=duration_s,
            seed=5,
        )
    )
    lags_s, r = cross_correlation(
        hr_on_grid(sim.truth["therapist"], duration_s, measured=False),
        hr_on_grid(sim.truth["client"], duration_s, measured=False),
        5.0,
    )
    assert abs(lags_s[int(np.argmax(r))] + 3.0) <= 0.5


@pytest.mark.parametrize("coupling", [None, Coupling(strength=0.0)])
def test_uncoupled_people_are_uncorrelated(coupling: Coupling | None) -> None:
    duration_s = 3600.0
    for seed in range(4):
        sim = simulate_dyad(
            DyadConfig(
                client=_clean(resting_hr_bpm=75.0, breathing_hz=0.28),
                therapist=_clean(resting_hr_bpm=65.0, breathing_hz=0.22),
                coupling=coupling,
                duration_s=duration_s,
                seed=seed,
            )
        )
        for measured in (False, True):
            _, r = cross_correlation(
                hr_on_grid(sim.truth["therapist"], duration_s, measured=measured),
                hr_on_grid(sim.truth["client"], duration_s, measured=measured),
                5.0,
            )
            assert np.max(np.abs(r)) < 0.25, (seed, measured)


def test_same_breathing_rate_does_not_make_people_correlated() -> None:
    # Breathing frequency wanders, so two people at 0.25 Hz drift out of phase.
    duration_s = 3600.0
    sim = simulate_dyad(DyadConfig(duration_s=duration_s, seed=11))
    _, r = cross_correlation(
        hr_on_grid(sim.truth["therapist"], duration_s, measured=True),
        hr_on_grid(sim.truth["client"], duration_s, measured=True),
        5.0,
    )
    assert np.max(np.abs(r)) < 0.25


# --- artifacts ---------------------------------------------------------------------


def test_artifact_rates_are_approximately_realised() -> None:
    rates = {"ectopic_rate": 0.02, "missed_rate": 0.03, "extra_rate": 0.02}
    sim = simulate_dyad(DyadConfig(client=_clean(**rates), duration_s=3600.0, seed=6))
    beats = sim.truth["client"]
    n_heart_beats = 3600.0 * 70.0 / 60.0
    realised = {
        "ectopic_rate": np.sum(beats.kind == BEAT_ECTOPIC) / 2 / n_heart_beats,
        "missed_rate": np.sum(beats.kind == BEAT_MISSED) / n_heart_beats,
        "extra_rate": np.sum(beats.kind == BEAT_EXTRA) / 2 / n_heart_beats,
    }
    for name, rate in rates.items():
        assert realised[name] == pytest.approx(rate, rel=0.35), name

    normal_ms = np.median(beats.rr_ms[beats.kind == BEAT_NORMAL])
    assert np.all(beats.rr_ms[beats.kind == BEAT_MISSED] > 1.6 * normal_ms)
    ectopic_pairs = beats.rr_ms[beats.kind == BEAT_ECTOPIC].reshape(-1, 2)
    assert np.all(ectopic_pairs[:, 0] < 0.85 * normal_ms)
    np.testing.assert_allclose(ectopic_pairs.sum(axis=1) / normal_ms, 2.0, atol=0.35)
    extra_pairs = beats.rr_ms[beats.kind == BEAT_EXTRA].reshape(-1, 2)
    np.testing.assert_allclose(extra_pairs.sum(axis=1) / normal_ms, 1.0, atol=0.2)


def test_detection_times_match_rr_without_drift() -> None:
    rates = {"ectopic_rate": 0.05, "missed_rate": 0.05, "extra_rate": 0.05}
    beats = simulate_dyad(DyadConfig(client=_clean(**rates), duration_s=300.0)).truth["client"]
    np.testing.assert_allclose(np.diff(beats.t_ns) / 1e6, beats.rr_ms[1:], atol=1e-3)


# --- the strap and the link --------------------------------------------------------


def _delivered_ticks(beats: TrueBeats) -> list[int]:
    return np.rint(beats.rr_ms[beats.delivered] * 1.024).astype(int).tolist()


@pytest.mark.parametrize("seed", [1, 2])
def test_notifications_carry_exactly_the_delivered_beats(seed: int) -> None:
    config = demo_config(seed=seed, duration_s=900.0)
    sim = simulate_dyad(config)
    for role in ROLES:
        parsed = [parse_heart_rate_measurement(e.data) for e in _notifications(sim, role)]
        assert all(len(m.rr_ticks) <= config.max_rr_per_notification for m in parsed)
        ticks = [tick for m in parsed for tick in m.rr_ticks]
        beats = sim.truth[role]
        assert ticks == _delivered_ticks(beats)

        # Everything is delivered except around contact losses and disconnections
        # (or after the last notification).
        profile = getattr(config, role)
        t_s = beats.t_ns / 1e9
        start_s = t_s - beats.rr_ms / 1000.0
        excused = t_s > sim.sent_ns[role][-1] / 1e9
        for w_start_s, w_duration_s in profile.contact_loss + profile.disconnections:
            queued = t_s > w_start_s - 1.5 * config.notification_interval_s
            excused |= queued & (start_s < w_start_s + w_duration_s)
        assert np.all(beats.delivered | excused)


def test_notification_hr_field_follows_the_heart() -> None:
    sim = simulate_dyad(DyadConfig(duration_s=300.0, seed=3))
    beats = sim.truth["client"]
    events = _notifications(sim, "client")
    hr_field = np.array([parse_heart_rate_measurement(e.data).hr_bpm for e in events])
    arrival_s = np.array([e.arrival_ns for e in events]) / 1e9
    underlying = np.interp(arrival_s, beats.t_ns / 1e9, beats.hr_bpm)
    assert np.median(np.abs(hr_field[1:] - underlying[1:])) < 6.0
    assert all(parse_heart_rate_measurement(e.data).contact is True for e in events)


def test_carry_over_when_more_beats_than_fit() -> None:
    profile = _clean(resting_hr_bpm=110.0, rmssd_ms=15.0)
    config = DyadConfig(client=profile, max_rr_per_notification=2, duration_s=300.0, seed=1)
    sim = simulate_dyad(config)
    parsed = [parse_heart_rate_measurement(e.data) for e in _notifications(sim, "client")]
    assert max(len(m.rr_ticks) for m in parsed) == 2
    ticks = [tick for m in parsed for tick in m.rr_ticks]
    assert ticks == _delivered_ticks(sim.truth["client"])


def test_disconnection_events_and_silence() -> None:
    profile = _clean(disconnections=((100.0, 20.0),))
    sim = simulate_dyad(DyadConfig(client=profile, duration_s=300.0, seed=2))
    client = [e for e in sim.events if e.role == "client"]
    kinds = [e.kind for e in client]
    assert kinds.count("disconnected") == 1
    assert kinds.count("connected") == 1
    i_down, i_up = kinds.index("disconnected"), kinds.index("connected")
    assert i_up == i_down + 1  # nothing in between
    assert client[i_down].arrival_ns >= 100_000_000_000
    assert client[i_up].arrival_ns == 120_000_000_000
    gap_s = (client[i_up + 1].arrival_ns - client[i_down - 1].arrival_ns) / 1e9
    assert 20.0 < gap_s < 22.2
    beats = sim.truth["client"]
    t_s = beats.t_ns / 1e9
    inside = (t_s >= 100.0) & (t_s < 120.0)
    assert inside.sum() > 15
    assert not beats.delivered[inside].any()
    # The strap keeps measuring: the first beat ending after the link is back arrives.
    assert beats.delivered[np.flatnonzero(t_s >= 120.0)[0]]
    # The therapist's strap is unaffected.
    assert all(e.kind == "notification" for e in sim.events if e.role == "therapist")


def test_disconnection_running_past_the_end_has_no_connected_event() -> None:
    profile = _clean(disconnections=((50.0, 100.0),))
    sim = simulate_dyad(DyadConfig(client=profile, duration_s=100.0))
    kinds = [e.kind for e in sim.events if e.role == "client"]
    assert kinds.count("disconnected") == 1
    assert "connected" not in kinds
    assert kinds[-1] == "disconnected"


def test_contact_loss_sends_empty_no_contact_notifications() -> None:
    profile = _clean(contact_loss=((60.0, 10.0),))
    sim = simulate_dyad(DyadConfig(client=profile, duration_s=180.0, seed=4))
    events = _notifications(sim, "client")
    sent_s = sim.sent_ns["client"] / 1e9
    during = (sent_s >= 60.0) & (sent_s < 70.0)
    assert during.sum() in (9, 10, 11)
    for event, is_during in zip(events, during, strict=True):
        m = parse_heart_rate_measurement(event.data)
        if is_during:
            assert (m.contact, m.hr_bpm, m.rr_ticks) == (False, 0, ())
        else:
            assert m.contact is True
    beats = sim.truth["client"]
    t_s = beats.t_ns / 1e9
    assert not beats.delivered[(t_s > 60.0) & (t_s < 70.0)].any()
    assert beats.delivered[(t_s > 72.0) & (t_s < 170.0)].all()


def test_arrival_jitter_is_within_latency_bounds() -> None:
    config = DyadConfig(duration_s=600.0, latency_min_ms=10.0, latency_max_ms=45.0, seed=9)
    sim = simulate_dyad(config)
    for role in ROLES:
        arrival_ns = np.array([e.arrival_ns for e in _notifications(sim, role)])
        latency_ms = (arrival_ns - sim.sent_ns[role]) / 1e6
        assert latency_ms.min() >= 10.0 - 1e-6
        assert latency_ms.max() <= 45.0 + 1e-6
        assert latency_ms.max() - latency_ms.min() > 25.0  # really jittered
        all_arrivals = [e.arrival_ns for e in sim.events if e.role == role]
        assert np.all(np.diff(all_arrivals) > 0)
    order = {role: i for i, role in enumerate(ROLES)}
    keys = [(e.arrival_ns, order[e.role]) for e in sim.events]
    assert keys == sorted(keys)


def test_clock_drift_scales_rr_and_notification_spacing() -> None:
    ppm = 300.0
    profile = _clean(clock_drift_ppm=ppm)
    sim = simulate_dyad(DyadConfig(client=profile, therapist=_clean(), duration_s=600.0))
    beats = sim.truth["client"]
    host_rr_ms = np.diff(beats.t_ns) / 1e6
    ratio = beats.rr_ms[1:] / host_rr_ms
    assert np.median(ratio) == pytest.approx(1.0 + ppm * 1e-6, abs=2e-6)
    spacing_ns = np.diff(sim.sent_ns["client"])
    assert spacing_ns.mean() == pytest.approx(1e9 / (1.0 + ppm * 1e-6), abs=50.0)
    therapist_ratio = sim.truth["therapist"].rr_ms[1:] / (
        np.diff(sim.truth["therapist"].t_ns) / 1e6
    )
    assert np.median(therapist_ratio) == pytest.approx(1.0, abs=2e-6)


# --- the demo scenario and speed ---------------------------------------------------


@pytest.mark.parametrize("duration_s", [20.0, 60.0, 100.0, 600.0, 3600.0])
def test_demo_config_scales_with_duration(duration_s: float) -> None:
    config = demo_config(seed=1, duration_s=duration_s)
    assert config.duration_s == duration_s
    for profile in (config.client, config.therapist):
        for start_s, length_s in profile.disconnections + profile.contact_loss:
            assert start_s + length_s < duration_s
        for episode in profile.episodes:
            assert episode.start_s + episode.duration_s < duration_s
    sim = simulate_dyad(config)
    assert any(e.role == "client" for e in sim.events)
    assert any(e.role == "therapist" for e in sim.events)


def test_demo_config_has_the_described_scenario() -> None:
    config = demo_config()
    assert config.client.resting_hr_bpm == pytest.approx(78.0, abs=2.0)
    assert config.therapist.resting_hr_bpm == pytest.approx(64.0, abs=2.0)
    assert config.client.breathing_hz != config.therapist.breathing_hz
    assert config.coupling == Coupling(leader="therapist", lag_s=2.0, strength=0.5)
    assert len(config.client.episodes) == 2
    assert len(config.client.contact_loss) == 1
    assert config.client.disconnections[0][1] == pytest.approx(20.0)
    assert dataclasses.replace(config, seed=2).seed == 2


def test_two_hours_generate_well_formed() -> None:
    # How fast is measured by benchmarks/bench_simulator.py (goal: < 2 s), not here.
    sim = simulate_dyad(demo_config(seed=1, duration_s=7200.0))
    therapist = _notifications(sim, "therapist")
    assert len(therapist) == pytest.approx(7200, abs=5)  # about one a second
    assert therapist[-1].arrival_ns <= 7201 * 1_000_000_000
    for event in therapist + _notifications(sim, "client"):
        parse_heart_rate_measurement(event.data)  # raises on a malformed payload
