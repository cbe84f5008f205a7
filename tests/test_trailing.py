"""Trailing HR and RMSSD of the minimal per-person stage, against NeuroKit2."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coregulate.signal.trailing import TrailingHrv, rmssd_ms

nk = pytest.importorskip("neurokit2")


def _nk_rmssd(rr_ms: np.ndarray) -> float:
    """RMSSD by NeuroKit2's hrv_time (the definition of record), from integer-ms RRs."""
    peaks = np.concatenate([[0], np.cumsum(rr_ms)]).astype(int)  # samples at 1000 Hz
    return float(nk.hrv_time(peaks, sampling_rate=1000)["HRV_RMSSD"].iloc[0])


def _rr_series(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return np.round(850 + 40 * np.sin(2 * np.pi * t / 4.3) + rng.normal(0, 15, n))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rmssd_equals_neurokit2(seed: int) -> None:
    rr = _rr_series(300, seed)
    # Reference: neurokit2.hrv_time(...)["HRV_RMSSD"] on the same intervals.
    assert rmssd_ms(rr) == pytest.approx(_nk_rmssd(rr), rel=1e-9)


def test_rmssd_hand_example() -> None:
    # ΔRR = 10, -20 -> sqrt((100 + 400) / 2) = 15.8113883...
    assert rmssd_ms(np.array([800.0, 810.0, 790.0])) == pytest.approx(math.sqrt(250), rel=1e-12)


def test_rmssd_never_spans_a_gap() -> None:
    rr = np.array([800.0, 810.0, 1200.0, 1190.0])
    segment = np.array([0, 0, 1, 1])
    # Only 800->810 and 1200->1190 are successive: sqrt((100 + 100) / 2) = 10.
    assert rmssd_ms(rr, segment) == pytest.approx(10.0)


def test_streaming_window_equals_neurokit2_on_the_same_beats() -> None:
    rr = _rr_series(400, 7)
    t_ns = (np.cumsum(rr) * 1e6).astype(np.int64)
    stage = TrailingHrv(window_s=60.0)
    for i in range(0, len(rr), 3):  # notifications carry up to 3 beats
        m = stage.update(list(t_ns[i : i + 3]), list(rr[i : i + 3]), gap_before=(i == 0))
    in_window = t_ns > t_ns[-1] - 60_000_000_000
    assert m.n_beats == in_window.sum()
    assert m.rmssd_ms == pytest.approx(_nk_rmssd(rr[in_window]), rel=1e-9)
    assert m.ln_rmssd == pytest.approx(math.log(m.rmssd_ms))
    hr_window = t_ns > t_ns[-1] - 10_000_000_000
    assert m.hr_bpm == pytest.approx(60000 / rr[hr_window].mean(), rel=1e-12)


def test_too_few_intervals_is_not_available_with_a_reason() -> None:
    stage = TrailingHrv(window_s=60.0, min_diffs=10)
    m = stage.update([800_000_000, 1_600_000_000], [800.0, 800.0], gap_before=True)
    assert m.rmssd_ms is None and m.ln_rmssd is None
    assert "needs 10" in m.unavailable["rmssd_ms"]
    assert m.hr_bpm == pytest.approx(75.0)


def test_gap_resets_successive_differences() -> None:
    stage = TrailingHrv(window_s=60.0, min_diffs=1)
    stage.update([1_000_000_000, 2_000_000_000], [1000.0, 1000.0], gap_before=True)
    m = stage.update([30_000_000_000, 30_500_000_000], [500.0, 500.0], gap_before=True)
    # The 1000 -> 500 step spans the gap and must not count: RMSSD is 0, not 353.
    assert m.n_diffs == 2
    assert m.rmssd_ms == 0.0
    assert m.ln_rmssd is None


def test_an_ectopic_beat_is_screened_out() -> None:
    rr = _rr_series(80, 3)
    t_ns = (np.cumsum(rr) * 1e6).astype(np.int64)
    clean = TrailingHrv(window_s=600.0).update(list(t_ns), list(rr), gap_before=True)
    ectopic = rr.copy()
    ectopic[40], ectopic[41] = rr[40] * 0.6, rr[41] + rr[40] * 0.4  # premature + compensatory
    m = TrailingHrv(window_s=600.0).update(list(t_ns), list(ectopic), gap_before=True)
    assert clean.artifact_share == 0.0
    assert m.artifact_share == pytest.approx(2 / 80)
    # Without screening the pair would add ~ sqrt(2 * 340² / 79) ≈ 54 ms to RMSSD.
    assert m.rmssd_ms == pytest.approx(clean.rmssd_ms, rel=0.1)
    # Reference: RMSSD over the successive differences that involve neither beat of
    # the pair (the definition above, written out directly).
    d = np.concatenate([np.diff(ectopic[:40]), np.diff(ectopic[42:])])
    assert m.rmssd_ms == pytest.approx(float(np.sqrt(np.mean(d * d))), rel=1e-12)
