"""The session clock: shared anchor, speed scaling, wall-clock mapping."""

from __future__ import annotations

import pickle
import time

import pytest

from coregulate.clock import SessionClock


def test_clock_starts_at_zero_and_advances() -> None:
    clock = SessionClock.start()
    t0 = clock.now_ns()
    time.sleep(0.01)
    t1 = clock.now_ns()
    assert 0 <= t0 < t1


def test_speed_scales_session_time() -> None:
    anchor = time.monotonic_ns() - 2_000_000_000  # started two host seconds ago
    clock = SessionClock(anchor, 0, speed=60.0)
    assert clock.now_ns() >= 120_000_000_000  # two host seconds = two session minutes
    # One session minute ahead is one host second away at 60x.
    assert clock.host_seconds_until(clock.now_ns() + 60_000_000_000) == pytest.approx(1, abs=0.01)


def test_picklable_and_same_in_another_process_view() -> None:
    clock = SessionClock.start(speed=2.0)
    copy = pickle.loads(pickle.dumps(clock))
    assert copy == clock
    assert abs(copy.now_ns() - clock.now_ns()) < 50_000_000


def test_wall_anchor_maps_session_time_to_calendar_time() -> None:
    clock = SessionClock(monotonic_anchor_ns=0, wall_anchor_ns=1_700_000_000_000_000_000)
    assert clock.wall_ns(5_000_000_000) == 1_700_000_005_000_000_000
    assert clock.to_dict()["speed"] == 1.0


@pytest.mark.parametrize("speed", [0.0, -1.0, float("nan")])
def test_invalid_speed_is_refused(speed: float) -> None:
    with pytest.raises(ValueError, match="speed"):
        SessionClock(0, 0, speed)
