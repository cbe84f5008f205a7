"""Breathing rate and movement from simulated chest ACC with known truth (issue 17 items 2-5).

No real H10 accelerometer recording with a respiration belt is shipped by a package we
can install, so the ACC path is checked on the simulator (acquisition/_sim_acc.py),
whose breathing is a 0.7° chest tilt (12 mg on z) under 5 mg noise and a 5 mg heartbeat.
"""

from __future__ import annotations

import numpy as np
import pytest

from coregulate.acquisition._sim_acc import AccScenario, simulate_acc
from coregulate.signal.breathing import (
    WINDOW_S,
    breath_times_s,
    breathing_rate,
    decimate_blocks,
    hf_band_note,
)
from coregulate.signal.movement import MOVING_MG, movement_index_mg, moving


def _rate(scn: AccScenario, end_s: float | None = None):
    _, xyz = simulate_acc(scn)
    d, fs = decimate_blocks(xyz, scn.rate_hz)
    end = int((end_s or scn.duration_s) * fs)
    return breathing_rate(d[end - int(WINDOW_S * fs) : end], fs), d, fs


@pytest.mark.parametrize("bpm", [6.0, 7.5, 9.0, 12.0, 15.0, 18.0, 22.0, 24.0, 27.0, 30.0])
def test_rate_within_one_breath_per_minute_from_6_to_30(bpm: float) -> None:
    scn = AccScenario(90.0, ((0.0, bpm),), tilt_deg=0.7, seed=int(bpm * 10))
    est, d, fs = _rate(scn)
    assert est.rate_bpm is not None and abs(est.rate_bpm - bpm) <= 1.0, est
    # Breath by breath: one peak per breath in the last 60 s (±1 at the window's edges).
    peaks = breath_times_s(d[-int(WINDOW_S * fs) :], fs, est.axis)
    assert abs(len(peaks) - bpm) <= 1


def test_rate_follows_a_change_after_one_window() -> None:
    scn = AccScenario(200.0, ((0.0, 15.0), (100.0, 6.0)), tilt_deg=0.7, seed=3)
    assert abs(_rate(scn, 95.0)[0].rate_bpm - 15.0) <= 1.0
    assert abs(_rate(scn, 160.0)[0].rate_bpm - 6.0) <= 1.0  # 60 s after the change


def test_no_rhythm_and_too_short_say_why() -> None:
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 5, (600, 3)) + np.array([0.0, -1000.0, 0.0])
    assert breathing_rate(noise, 10.0).reason == "no clear breathing rhythm"
    assert breathing_rate(noise[:200], 10.0).reason == "under 30 s of accelerometer data"


@pytest.mark.parametrize(
    ("bpm", "outside"), [(7.0, True), (10.0, False), (23.0, False), (27.0, True)]
)
def test_hf_flag_set_exactly_when_the_simulated_rate_leaves_the_band(
    bpm: float, outside: bool
) -> None:
    est, _, _ = _rate(AccScenario(70.0, ((0.0, bpm),), tilt_deg=0.7, seed=5))
    note = hf_band_note(est.rate_bpm)
    assert (note is not None) == outside
    if outside:
        assert note == f"breathing outside the HF band ({bpm:.0f}/min)"


def test_every_movement_episode_and_posture_change_is_flagged() -> None:
    scn = AccScenario(
        300.0,
        movements=((60.0, 70.0), (150.0, 152.0)),
        postures=((200.0, 30.0), (250.0, -25.0)),
        seed=4,
    )
    _, xyz = simulate_acc(scn)
    flags = moving(xyz, scn.rate_hz)
    truth = scn.moving_at(np.arange(len(flags)) + 0.5)
    assert flags[truth].all()  # every second of every episode
    # No false alarm more than 1 s away from an episode (a turn marks the next second).
    near = np.convolve(truth, np.ones(3), mode="same") > 0
    assert not (flags & ~near).any()
    # Sitting still stays far under the threshold (noise and heartbeat: ~6 mg).
    assert np.percentile(movement_index_mg(xyz, scn.rate_hz)[~near], 99) < MOVING_MG / 4


def test_breathing_during_still_stretches_survives_brief_movement() -> None:
    scn = AccScenario(90.0, ((0.0, 12.0),), tilt_deg=0.7, movements=((50.0, 52.0),), seed=8)
    assert abs(_rate(scn)[0].rate_bpm - 12.0) <= 1.0
