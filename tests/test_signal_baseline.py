"""Baseline profiles, the arousal index and the state word's hysteresis and dwell."""

from __future__ import annotations

import json
import math
import stat

import pytest

from coregulate.recordings.baseline_profile import save_baseline_profile
from coregulate.signal.baseline import (
    ACTIVATED,
    HIGHLY_ACTIVATED,
    SETTLED,
    BaselineCollector,
    BaselineError,
    BaselineProfile,
    StateThresholds,
    StateTracker,
    arousal_index,
)

S = 1_000_000_000
PROFILE = BaselineProfile(70.0, 4.0, 3.6, 0.25, 120, 180.0)


def test_arousal_index_by_hand() -> None:
    # z_HR = (78 - 70) / 4 = 2; z_ln = (3.1 - 3.6) / 0.25 = -2; A = (2 + 2) / 2 = 2.
    assert arousal_index(78.0, 3.1, PROFILE) == pytest.approx(2.0)
    assert arousal_index(70.0, 3.6, PROFILE) == 0.0
    # A quiet baseline (SD 1 bpm, 0.05) is floored at 3 bpm and 0.15.
    quiet = BaselineProfile(70.0, 1.0, 3.6, 0.05, 120, 180.0)
    assert arousal_index(73.0, 3.45, quiet) == pytest.approx((1.0 + 1.0) / 2)


def test_states_have_hysteresis() -> None:
    tracker = StateTracker(StateThresholds(min_dwell_s=0.0))
    seq = [0.0, 1.4, 1.6, 1.2, 0.9, 3.1, 2.6, 2.4, 0.5]
    got = [tracker.update(i * S, a) for i, a in enumerate(seq)]
    assert got == [
        SETTLED,
        SETTLED,  # 1.4 < 1.5: not yet
        ACTIVATED,
        ACTIVATED,  # 1.2 >= 1.0: stays
        SETTLED,
        HIGHLY_ACTIVATED,
        HIGHLY_ACTIVATED,  # 2.6 >= 2.5: stays
        ACTIVATED,
        SETTLED,
    ]


def test_states_dwell_before_changing() -> None:
    tracker = StateTracker(StateThresholds(min_dwell_s=15.0))
    assert tracker.update(0, 0.0) == SETTLED
    assert tracker.update(5 * S, 2.0) == SETTLED  # held 5 s < 15 s
    assert tracker.update(15 * S, 2.0) == ACTIVATED
    assert tracker.update(20 * S, 0.0) == ACTIVATED  # 5 s in, a dip does not flip it
    assert tracker.update(30 * S, 0.0) == SETTLED
    assert tracker.since_ns == 30 * S


def test_collector_gives_means_and_sds() -> None:
    c = BaselineCollector(10 * S, duration_s=60.0, min_samples=3)
    for i, (hr, ln) in enumerate([(70.0, 3.5), (72.0, 3.7), (None, 3.6), (74.0, 3.9)]):
        c.add((11 + i) * S, hr, ln)
    c.add(75 * S, 99.0, 9.9)  # after the period: ignored
    assert c.done(70 * S) and c.progress(40 * S) == pytest.approx(0.5)
    p = c.result()
    assert p is not None and p.n_samples == 3
    assert p.hr_bpm_mean == pytest.approx(72.0) and p.hr_bpm_sd == pytest.approx(2.0)
    assert p.ln_rmssd_mean == pytest.approx(3.7) and p.ln_rmssd_sd == pytest.approx(0.2)
    assert BaselineCollector(0, 60.0, min_samples=30).result() is None


def test_profile_round_trips_owner_only(tmp_path) -> None:
    path = tmp_path / "client.json"
    save_baseline_profile(PROFILE, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = BaselineProfile.load(path)
    assert loaded.source == "profile"
    assert (loaded.hr_bpm_mean, loaded.ln_rmssd_sd, loaded.n_samples) == (70.0, 0.25, 120)
    assert json.loads(path.read_text())["format"] == "coregulate.baseline"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([1, 2], "not a baseline profile"),
        ({"format": "coregulate.baseline", "version": 9}, "version 9"),
        ({**PROFILE.to_json(), "hr_bpm_mean": "seventy"}, "finite number"),
        ({**PROFILE.to_json(), "ln_rmssd_sd": math.inf}, "finite number"),
        ({**PROFILE.to_json(), "n_samples": 0}, "positive integer"),
        ({**PROFILE.to_json(), "hr_bpm_mean": 900.0}, "implausible"),
    ],
)
def test_bad_profiles_say_what_is_wrong(body: object, message: str) -> None:
    with pytest.raises(BaselineError, match=message):
        BaselineProfile.from_json(body)


def test_unreadable_profile_files_say_what_is_wrong(tmp_path) -> None:
    with pytest.raises(BaselineError, match="cannot read"):
        BaselineProfile.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(BaselineError, match="not valid JSON"):
        BaselineProfile.load(bad)
