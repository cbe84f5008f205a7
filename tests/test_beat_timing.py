"""Beat times from notifications without timestamps, against simulated ground truth."""

from __future__ import annotations

import numpy as np
import pytest

from coregulate.acquisition.beat_timing import BeatTimer
from coregulate.acquisition.hrm import parse_heart_rate_measurement
from coregulate.acquisition.simulator import DyadConfig, PersonProfile, simulate_dyad


def _place_all(sim, role: str):
    timer = BeatTimer()
    placed, arrival, gaps = [], [], []
    for ev in sim.events:
        if ev.role != role:
            continue
        if ev.kind == "disconnected":
            timer.mark_gap()
        if ev.kind != "notification":
            continue
        beats = timer.place(ev.arrival_ns, parse_heart_rate_measurement(ev.data).rr_ms)
        if beats.t_ns:
            gaps.append((len(placed), beats.gap_before))
        placed += beats.t_ns
        arrival += [ev.arrival_ns] * len(beats.t_ns)
    return np.array(placed), np.array(arrival), gaps


@pytest.mark.parametrize(
    ("drift_ppm", "hr_bpm"), [(-100.0, 55.0), (0.0, 70.0), (100.0, 70.0), (100.0, 100.0)]
)
def test_one_hour_with_jitter_and_drift(drift_ppm: float, hr_bpm: float) -> None:
    config = DyadConfig(
        client=PersonProfile(clock_drift_ppm=drift_ppm, resting_hr_bpm=hr_bpm),
        therapist=PersonProfile(),
        duration_s=3600.0,
        seed=3,
        latency_min_ms=5.0,
        latency_max_ms=60.0,
    )
    sim = simulate_dyad(config)
    truth = sim.truth["client"]
    placed, arrival, _ = _place_all(sim, "client")
    true_t = truth.t_ns[truth.delivered]
    assert len(placed) == len(true_t)
    error_ms = np.abs(placed - true_t) / 1e6
    # Target (issue 3): median <= 20 ms, p99 <= 60 ms. Measured here: median 3.4-11.7 ms,
    # p99 14-23 ms; over 27 hour-long runs (seeds 3-5, drift -100/0/+100 ppm, HR
    # 55/70/100 bpm): median 2.9-12.6 ms, p99 12.7-35.5 ms. 5 ms of it is the link's
    # minimum latency, which no estimator can see (beat_timing.py explains).
    assert np.median(error_ms) < 14.0
    assert np.percentile(error_ms, 99) < 40.0
    first, last = error_ms[: len(error_ms) // 4], error_ms[-len(error_ms) // 4 :]
    assert abs(np.median(last) - np.median(first)) < 10.0  # error does not grow with time
    assert np.all(placed <= arrival), "a beat placed after the notification arrived"
    assert np.all(np.diff(placed) > 0), "beat times must increase"


def test_strap_that_notifies_on_every_beat_falls_back_to_the_arrival_envelope() -> None:
    # No send schedule to use: each beat is notified 5-60 ms after it ends.
    rng = np.random.default_rng(11)
    rr_ms = 850.0 + 60.0 * np.sin(np.arange(2000) / 4.0) + rng.normal(0.0, 20.0, 2000)
    t_ns = np.cumsum(np.round(rr_ms * 1e6)).astype(np.int64)
    arrival = t_ns + rng.uniform(5e6, 60e6, t_ns.size).astype(np.int64)
    timer = BeatTimer()
    placed = np.array(
        [timer.place(int(a), (r,)).t_ns[0] for a, r in zip(arrival, rr_ms, strict=True)]
    )
    assert not timer.periodic
    error_ms = np.abs(placed - t_ns)[100:] / 1e6
    # The envelope sits on the fastest notification of the window: the minimum latency
    # (5 ms) plus a little (ground truth: this simulation; measured median 5.4, p99 6.3).
    assert np.median(error_ms) < 8.0 and np.percentile(error_ms, 99) < 12.0
    assert np.all(placed <= arrival)


def test_rr_values_are_untouched_and_gaps_are_marked() -> None:
    config = DyadConfig(
        client=PersonProfile(disconnections=((100.0, 20.0),), contact_loss=()),
        therapist=PersonProfile(),
        duration_s=300.0,
        seed=5,
    )
    sim = simulate_dyad(config)
    placed, _, gaps = _place_all(sim, "client")
    marked = [i for i, gap in gaps if gap]
    # The first notification with beats, and the first after reconnecting.
    assert len(marked) == 2 and marked[0] == 0
    assert 100e9 + 20e9 <= placed[marked[1]] <= 100e9 + 25e9
    # Within a notification, successive beat times differ by exactly its RR values
    # (between notifications the anchor may move by a few ms as the envelope learns).
    timer = BeatTimer()
    for ev in sim.events:
        if ev.role == "client" and ev.kind == "notification":
            rr_ms = parse_heart_rate_measurement(ev.data).rr_ms
            t = timer.place(ev.arrival_ns, rr_ms).t_ns
            assert np.allclose(np.diff(t), np.round(np.array(rr_ms[1:]) * 1e6), atol=1)


def test_empty_notification_places_nothing() -> None:
    timer = BeatTimer()
    assert timer.place(1_000_000_000, ()).t_ns == ()
