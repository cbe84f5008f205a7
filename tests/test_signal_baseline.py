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
PROFILE = BaselineProfile(70.0, 8.0, 3.6, 0.25, 120, 180.0)


def test_arousal_index_by_hand() -> None:
    # z_HR = (86 - 70) / 8 = 2; z_ln = (3.1 - 3.6) / 0.25 = -2; A = (2 + 2) / 2 = 2.
    assert arousal_index(86.0, 3.1, PROFILE) == pytest.approx(2.0)
    assert arousal_index(70.0, 3.6, PROFILE) == 0.0
    # A quiet baseline (SD 1 bpm, 0.05) is floored at 5 bpm and 0.2 (the resting
    # fluctuation of a real recording, docs/metrics.md "Baseline on real data").
    quiet = BaselineProfile(70.0, 1.0, 3.6, 0.05, 120, 180.0)
    assert arousal_index(75.0, 3.4, quiet) == pytest.approx((1.0 + 1.0) / 2)


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


def test_collector_gives_medians_and_robust_sds() -> None:
    c = BaselineCollector(10 * S, duration_s=60.0, min_samples=3)
    for i, (hr, ln) in enumerate([(70.0, 3.5), (72.0, 3.7), (None, 3.6), (74.0, 3.9)]):
        c.add((11 + i) * S, hr, ln)
    c.add(75 * S, 99.0, 9.9)  # after the period: ignored
    assert c.done(70 * S) and c.progress(40 * S) == pytest.approx(0.5)
    p = c.result()
    assert p is not None and p.n_samples == 3
    # Median 72, MAD 2 (robust SD 1.4826 x 2); median 3.7, MAD 0.2.
    assert p.hr_bpm_mean == pytest.approx(72.0) and p.hr_bpm_sd == pytest.approx(2.9652)
    assert p.ln_rmssd_mean == pytest.approx(3.7) and p.ln_rmssd_sd == pytest.approx(0.29652)
    assert BaselineCollector(0, 60.0, min_samples=30).result() is None


def test_a_moment_of_movement_in_the_baseline_barely_moves_it() -> None:
    # 60 resting updates around 70 bpm / 3.7, and 6 updates (10 %) of a cough or a
    # shift in the chair at 100 bpm / 3.0. Mean and SD moved by 3 bpm and 2.6x; the
    # median and MAD stay near the resting values.
    c = BaselineCollector(0, duration_s=180.0, min_samples=30)
    for i in range(66):
        hr, ln = (70.0 + (i % 5 - 2), 3.7 + 0.05 * (i % 3 - 1)) if i % 11 else (100.0, 3.0)
        c.add(i * S, hr, ln)
    p = c.result()
    assert p is not None
    assert p.hr_bpm_mean == pytest.approx(70.0, abs=0.5) and p.hr_bpm_sd < 2.0 * 1.4826
    assert p.ln_rmssd_mean == pytest.approx(3.7, abs=0.05)


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


def test_state_depends_less_on_where_the_baseline_is_taken_on_real_data(monkeypatch) -> None:
    # Data: pyhrv's real 1-hour NN series (tests/data/pyhrv), displayed HR and
    # lnRMSSD of the live chain; a 3-minute baseline at every whole minute with at
    # least 10 minutes after it (45 placements); share of the later time not
    # "settled". Measured (scripts/baseline_sensitivity.py): before issue 13 (mean and
    # SD, floors 3 bpm / 0.15) median 12.1 %, quartiles 6.5-34.5 %; now (median and
    # robust SD, floors 5 bpm / 0.2) median 7.7 %, quartiles 1.8-18.4 %.
    import numpy as np

    from coregulate.signal import baseline
    from signal_support import displayed_hr_and_ln_rmssd, not_settled_after_baselines, pyhrv_nn

    rr = pyhrv_nn("Long")
    if rr is None:
        pytest.skip("pyhrv sample series not present")
    t, hr, ln = displayed_hr_and_ln_rmssd(rr)
    starts = np.arange(0.0, t[-1] - 900.0, 60.0)
    now = not_settled_after_baselines(t, hr, ln, starts)

    def mean_sd(h: np.ndarray, v: np.ndarray) -> BaselineProfile:
        return BaselineProfile(h.mean(), h.std(ddof=1), v.mean(), v.std(ddof=1), h.size, 180.0)

    monkeypatch.setattr(baseline, "HR_SD_FLOOR_BPM", 3.0)
    monkeypatch.setattr(baseline, "LN_RMSSD_SD_FLOOR", 0.15)
    before = not_settled_after_baselines(t, hr, ln, starts, profile_of=mean_sd)
    q_now, q_before = np.percentile(now, [25, 50, 75]), np.percentile(before, [25, 50, 75])
    assert q_before[2] - q_before[0] > 0.25  # the sensitivity issue 13 reports
    assert q_now[2] - q_now[0] <= 0.20
    assert q_now[2] - q_now[0] < 0.7 * (q_before[2] - q_before[0])
    assert q_now[1] <= 0.10
