"""HRV kernels against NeuroKit2 (the definition of record) on real and simulated beats."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal

from coregulate.acquisition.simulator import DyadConfig, PersonProfile, simulate_dyad
from coregulate.signal.hrv import (
    WELCH_SEGMENT_S,
    band_powers_ms2,
    interpolate_nn,
    rmssd_ms,
    sdnn_ms,
    welch_psd,
    welch_segments,
)
from coregulate.signal.person import PersonConfig
from signal_support import pyhrv_nn

nk = pytest.importorskip("neurokit2")


def _nk(fn, nn_ms: np.ndarray, t_s: np.ndarray, **kw) -> dict:
    return fn({"RRI": nn_ms, "RRI_Time": t_s}, **kw).iloc[0].to_dict()


def _windows(nn_ms: np.ndarray, length_s: float, step_s: float):
    """Yield (t_s, nn) of successive windows; t_s rebuilt from the intervals."""
    t = np.cumsum(nn_ms) / 1000.0
    for start in np.arange(0.0, t[-1] - length_s, step_s):
        sel = (t > start) & (t <= start + length_s)
        yield t[sel], nn_ms[sel]


@pytest.fixture(scope="module")
def long_nn() -> np.ndarray:
    nn = pyhrv_nn("Long")
    if nn is None:
        pytest.skip("pyhrv sample series not present")
    return nn


@pytest.fixture(scope="module")
def sim_rr() -> np.ndarray:
    cfg = DyadConfig(client=PersonProfile(rmssd_ms=55.0), duration_s=900.0, seed=11)
    truth = simulate_dyad(cfg).truth["client"]
    # What the strap delivers: whole 1/1024 s ticks.
    return np.round(truth.rr_ms * 1.024) * 1000.0 / 1024.0


def test_time_domain_equals_neurokit2_on_pyhrv_windows(long_nn: np.ndarray) -> None:
    # Reference: nk.hrv_time(...)["HRV_RMSSD"], ["HRV_SDNN"] on the same 60 s windows
    # of pyhrv's 1-hour NN series.
    for t, nn in _windows(long_nn, 60.0, 173.0):
        ref = _nk(nk.hrv_time, nn, t)
        assert rmssd_ms(nn) == pytest.approx(ref["HRV_RMSSD"], rel=1e-9)
        assert sdnn_ms(nn) == pytest.approx(ref["HRV_SDNN"], rel=1e-9)


def test_time_domain_equals_neurokit2_on_simulated_ticks(sim_rr: np.ndarray) -> None:
    for t, nn in _windows(sim_rr, 60.0, 97.0):
        ref = _nk(nk.hrv_time, nn, t)
        assert rmssd_ms(nn) == pytest.approx(ref["HRV_RMSSD"], rel=1e-9)
        assert sdnn_ms(nn) == pytest.approx(ref["HRV_SDNN"], rel=1e-9)


def test_rmssd_never_spans_a_gap_like_neurokit2() -> None:
    nn = np.array([800.0, 810.0, 790.0, 1200.0, 1190.0, 1210.0])
    t = np.cumsum(nn) / 1000.0
    t[3:] += 30.0  # 30 s lost between beats 2 and 3
    segment = np.array([0, 0, 0, 1, 1, 1])
    # Reference: NeuroKit2 drops differences whose times do not match the interval.
    ref = _nk(nk.hrv_time, nn, t)["HRV_RMSSD"]
    assert rmssd_ms(nn, segment) == pytest.approx(ref, rel=1e-12)
    assert rmssd_ms(nn, segment) == pytest.approx(math.sqrt((100 + 400 + 100 + 400) / 4))


def test_welch_psd_equals_scipy() -> None:
    # NeuroKit2's layout (segment_s=None): N // 2 samples, as NeuroKit2 calls SciPy.
    rng = np.random.default_rng(3)
    for n in (478, 479, 480, 12001):
        x = rng.normal(size=n)
        f, p = welch_psd(x, 4.0, segment_s=None)
        nper = n // 2
        f_ref, p_ref = scipy.signal.welch(
            x - x.mean(), fs=4.0, nperseg=nper, nfft=2 * nper, detrend=False
        )
        np.testing.assert_allclose(f, f_ref, rtol=1e-12)
        np.testing.assert_allclose(p, p_ref, rtol=1e-9, atol=1e-15)


def test_fixed_layout_equals_scipy_welch_with_the_same_segments() -> None:
    # The live layout: 60 s segments, overlap >= 75 %, the oldest leftover samples
    # unused; SciPy given the same segments (the series from the first one on,
    # nperseg, noverlap = nperseg - step) computes the same PSD.
    rng = np.random.default_rng(4)
    for n in (422, 433, 478, 480, 481, 1196, 14400):
        x = rng.normal(size=n)
        nper, step, k = welch_segments(n, 4.0, WELCH_SEGMENT_S)
        first = n - ((k - 1) * step + nper)
        f, p = welch_psd(x, 4.0)
        f_ref, p_ref = scipy.signal.welch(
            x[first:] - x.mean(),
            fs=4.0,
            nperseg=nper,
            noverlap=nper - step,
            nfft=2 * nper,
            detrend=False,
        )
        np.testing.assert_allclose(f, f_ref, rtol=1e-12)
        np.testing.assert_allclose(p, p_ref, rtol=1e-9, atol=1e-15)


def test_fixed_layout_is_the_same_for_every_live_window() -> None:
    # A live window at 4 Hz has W·4 + 1 grid samples at most (the grid runs one step
    # past the last beat) and at least (W - 3 s)·4 + 1 (the oldest beat in it is at
    # most one 3 s interval after the window's start). NeuroKit2's N/2 layout changes
    # with N (2 or 3 segments by parity, its segment length and frequency grid with
    # every sample); the fixed layout is the same throughout: 5 segments of 240
    # samples in 120 s windows, 13 in the live 240 s windows.
    for window_s, segments in ((120.0, 5), (240.0, 13)):
        live = range(round((window_s - 3.0) * 4) + 1, round(window_s * 4) + 2)
        assert {welch_segments(n, 4.0, None)[2] for n in live} == {2, 3}
        assert {welch_segments(n, 4.0, WELCH_SEGMENT_S)[::2] for n in live} == {(240, segments)}


def _hf_every_5_s(nn: np.ndarray, segment_s: float | None, window_s: float) -> np.ndarray:
    """HF of `window_s` windows ending at the first beat >= 5 s after the last update."""
    t = np.cumsum(nn) / 1000.0
    hf, last = [], -np.inf
    for j in range(t.size):
        if t[j] - last < 5.0 or t[j] - t[0] < window_s:
            continue
        last = t[j]
        sel = (t > t[j] - window_s) & (t <= t[j])
        hf.append(band_powers_ms2(t[sel] - t[sel][0], nn[sel], 4.0, segment_s=segment_s)[1])
    return np.array(hf)


def test_hf_between_5_s_updates_on_real_data(long_nn: np.ndarray) -> None:
    # Data: pyhrv's real 1-hour NN series; the live cadence (every >= 5 s).
    # Measured (scripts/spectral_stability.py), share of updates where HF moved by
    # > 10 % / > 25 %: NeuroKit2's N/2 layout on 120 s windows (before issue 13)
    # 33.7 % / 5.7 %; fixed 60 s layout on 120 s windows 13.5 % / 0.6 %; fixed
    # layout on the live 240 s windows (now) 0.8 % / 0.0 % (live class 0.5 % / 0.0 %).
    # Issue 13 asks > 10 % in <= 1 % of updates.
    def jumps(hf: np.ndarray, by: float) -> float:
        return float(np.mean(np.abs(np.diff(hf)) / hf[:-1] > by))

    before = _hf_every_5_s(long_nn, None, 120.0)
    after = _hf_every_5_s(long_nn, WELCH_SEGMENT_S, PersonConfig().spectral_window_s)
    assert jumps(before, 0.10) > 0.30 and jumps(before, 0.25) > 0.05  # the failure
    assert jumps(after, 0.10) <= 0.01
    assert jumps(after, 0.25) == 0.0


def test_whole_recordings_against_neurokit2() -> None:
    # Reference: nk.hrv_frequency({"RRI", "RRI_Time"}, normalize=False) with its
    # defaults (100 Hz, N/2 layout) on pyhrv's real recordings, whole.
    # Measured (scripts/spectral_stability.py): 1 h series LF -0.8 %, HF -0.9 %;
    # 5 min series LF +14.2 %, HF +6.1 %. The 5 % asked by issue 13 holds on the hour
    # and NOT on 5 minutes: there NeuroKit2 takes 150 s segments (resolution 1/150 Hz)
    # and 60 s segments let VLF leak into LF; against the record's own band variance
    # (Parseval) ours is -4.0 % / -1.5 % and NeuroKit2's -15.9 % / -7.2 %
    # (docs/metrics.md, "Spectral layout"). So the 5-minute check is stated at 15 %.
    for name, tol in (("Long", 0.05), ("Short", 0.15)):
        nn = pyhrv_nn(name)
        if nn is None:
            pytest.skip("pyhrv sample series not present")
        t = np.cumsum(nn) / 1000.0
        ref = _nk(nk.hrv_frequency, nn, t, normalize=False)
        lf, hf = band_powers_ms2(t - t[0], nn, 4.0)
        assert lf == pytest.approx(ref["HRV_LF"], rel=tol)
        assert hf == pytest.approx(ref["HRV_HF"], rel=tol)


def test_interpolation_equals_interp1d_quadratic(long_nn: np.ndarray) -> None:
    from scipy.interpolate import interp1d

    t, nn = next(_windows(long_nn, 120.0, 1.0))
    grid = np.arange(t[0], t[-1] + 0.25, 0.25)
    ref = interp1d(t, nn, kind="quadratic", bounds_error=False, fill_value=(nn[0], nn[-1]))
    np.testing.assert_allclose(interpolate_nn(t, nn, 4.0), ref(grid), rtol=1e-12)


@pytest.mark.parametrize("rate_hz", [4, 100])
def test_band_powers_equal_neurokit2_at_the_same_interpolation_rate(
    long_nn: np.ndarray, rate_hz: int
) -> None:
    # Reference: nk.hrv_frequency(..., interpolation_rate=rate, normalize=False)
    # ["HRV_LF", "HRV_HF"] (ms²) on the same 120 s windows. The kernel is given
    # NeuroKit2's own layout (segment_s=None: N/2 samples, its band edges), and then
    # equals it to 1e-9. The live layout is the fixed 60 s one, which is not
    # NeuroKit2's and is held to it differently (the tests above; docs/metrics.md).
    step = 311.0 if rate_hz == 4 else 1201.0
    for t, nn in _windows(long_nn, 120.0, step):
        ref = _nk(nk.hrv_frequency, nn, t, interpolation_rate=rate_hz, normalize=False)
        lf, hf = band_powers_ms2(t, nn, float(rate_hz), segment_s=None)
        assert lf == pytest.approx(ref["HRV_LF"], rel=1e-9)
        assert hf == pytest.approx(ref["HRV_HF"], rel=1e-9)


def test_band_powers_equal_neurokit2_on_simulated_ticks(sim_rr: np.ndarray) -> None:
    # As above: at NeuroKit2's layout (segment_s=None) the kernel is NeuroKit2's.
    for t, nn in _windows(sim_rr, 120.0, 151.0):
        ref = _nk(nk.hrv_frequency, nn, t, interpolation_rate=4, normalize=False)
        lf, hf = band_powers_ms2(t, nn, 4.0, segment_s=None)
        assert (lf, hf) == pytest.approx((ref["HRV_LF"], ref["HRV_HF"]), rel=1e-9)


def _welch_segments(n: int) -> int:
    nper = n // 2
    return (n - nper) // (nper - nper // 2) + 1


def test_4_hz_against_neurokit2_default_100_hz(long_nn: np.ndarray) -> None:
    # NeuroKit2's default interpolates at 100 Hz. Where both grids give the same Welch
    # layout (3 segments), 4 Hz and 100 Hz agree within 2 % (docs/metrics.md: the
    # quadratic spline has no power above 2 Hz to alias). Where NeuroKit2's own grid
    # length yields 2 segments instead of 3, its estimate itself moves by tens of
    # per cent, which is why the live tolerance is stated at the same rate. This
    # test is about the rate, so both sides use NeuroKit2's layout (segment_s=None).
    compared = 0
    for t, nn in _windows(long_nn, 120.0, 97.0):
        n4 = np.arange(t[0], t[-1] + 0.25, 0.25).size
        n100 = np.arange(t[0], t[-1] + 0.01, 0.01).size
        if _welch_segments(n4) != _welch_segments(n100):
            continue
        ref = _nk(nk.hrv_frequency, nn, t, normalize=False)
        lf, hf = band_powers_ms2(t, nn, 4.0, segment_s=None)
        assert lf == pytest.approx(ref["HRV_LF"], rel=0.02)
        assert hf == pytest.approx(ref["HRV_HF"], rel=0.02)
        compared += 1
    assert compared >= 10


def test_band_power_of_a_known_sine() -> None:
    # A 20 ms sine at 0.25 Hz has variance 200 ms², all of it in HF.
    t = np.cumsum(np.full(200, 0.75))
    nn = 750.0 + 20.0 * np.sin(2 * np.pi * 0.25 * t)
    lf, hf = band_powers_ms2(t, nn)
    assert hf == pytest.approx(200.0, rel=0.05)
    assert lf < 0.01 * hf
