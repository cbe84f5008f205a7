"""Porges–Bohrer RSA on heart period against a step-by-step reference implementation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.interpolate import make_interp_spline
from scipy.signal import firwin

from coregulate.acquisition.simulator import (
    ArousalEpisode,
    DyadConfig,
    PersonProfile,
    simulate_dyad,
)
from coregulate.signal import rsa as rsa_module
from coregulate.signal.rsa import rsa_ln_ms2
from signal_support import pyhrv_nn, sine_beats


def _reference_rsa(t_s: np.ndarray, nn_ms: np.ndarray) -> float:
    """The published steps written out one by one (Lewis et al. 2012, §2.4).

    1. heart period time-sampled at 2 Hz (SciPy's quintic interpolating spline through
       the beats; see test_rsa_does_not_depend_on_heart_rate for why not linear or cubic);
    2. at each sample with 10 neighbours on both sides, a cubic polynomial is fitted
       to the 21 points and its value at the centre subtracted;
    3. band-pass 0.12-0.40 Hz with the stated FIR (61 taps, Hamming), only where
       it overlaps fully;
    4. ln of the sample variance per 30 s (60-sample) epoch, counted back from the
       newest sample; 5. mean over epochs.
    """
    grid = np.arange(t_s[0], t_s[-1], 0.5)
    hp = make_interp_spline(t_s, nn_ms, k=5)(grid)
    x = np.arange(-10, 11)
    detrended = []
    for i in range(10, hp.size - 10):
        coef = np.polyfit(x, hp[i - 10 : i + 11], 3)
        detrended.append(hp[i] - np.polyval(coef, 0))
    r = np.array(detrended)
    h = firwin(61, [0.12, 0.40], pass_zero=False, fs=2.0)
    filtered = np.array([np.dot(h[::-1], r[k : k + 61]) for k in range(r.size - 60)])
    n_epochs = filtered.size // 60
    epochs = filtered[filtered.size - 60 * n_epochs :].reshape(n_epochs, 60)
    return float(np.mean([math.log(np.var(e, ddof=1)) for e in epochs]))


def test_rsa_equals_the_reference_on_real_beats() -> None:
    nn = pyhrv_nn("Short")
    if nn is None:
        pytest.skip("pyhrv sample series not present")
    t = np.cumsum(nn) / 1000.0
    for start, length in ((0.0, 120.0), (60.0, 200.0), (0.0, 299.0)):
        sel = (t >= start) & (t < start + length)
        assert rsa_ln_ms2(t[sel], nn[sel]) == pytest.approx(
            _reference_rsa(t[sel], nn[sel]), rel=1e-9
        )


def test_rsa_equals_the_reference_on_simulated_beats() -> None:
    truth = simulate_dyad(DyadConfig(duration_s=300.0, seed=4)).truth["client"]
    t = truth.t_ns / 1e9
    sel = t > 20.0
    assert rsa_ln_ms2(t[sel], truth.rr_ms[sel]) == pytest.approx(
        _reference_rsa(t[sel], truth.rr_ms[sel]), rel=1e-9
    )


def _chain_power_gain(f_hz: float) -> float:
    """|H(f)|² of detrend and band-pass together (the kernel rsa.py convolves with)."""
    k = rsa_module._KERNEL
    return float(abs(np.sum(k * np.exp(-2j * np.pi * f_hz / 2.0 * np.arange(k.size)))) ** 2)


def test_rsa_of_a_sine_in_the_band_is_ln_of_its_filtered_variance() -> None:
    # 20 ms at 0.25 Hz: variance 20² / 2 = 200 ms², times the chain's power gain at
    # 0.25 Hz (1.258: docs/metrics.md, the detrend's side lobe), ln 5.528. Before the
    # cubic resampling this test asserted ln 200 ± 0.02 (5.298): it held only because
    # linear resampling of beats 0.8 s apart lost about as much (-0.23 ln) as the
    # detrend adds. The resampling is now nearly transparent, so the test states
    # what the published chain gives.
    t = np.arange(1, 241) * 0.8
    nn = 800.0 + 20.0 * np.sin(2 * np.pi * 0.25 * t)
    assert _chain_power_gain(0.25) == pytest.approx(1.258, abs=0.001)
    assert rsa_ln_ms2(t, nn) == pytest.approx(math.log(200.0 * _chain_power_gain(0.25)), abs=0.02)


def test_rsa_does_not_depend_on_heart_rate() -> None:
    # The same 20 ms oscillation at 0.30 Hz, 300 s, at 55 and 110 bpm
    # (signal_support.sine_beats; scripts/spectral_stability.py prints these).
    # Expected: ln(200 x the chain's power gain at 0.30 Hz, 0.751) = 5.012.
    # Measured: linear resampling 4.298 and 4.852 (0.55 ln apart); natural cubic
    # spline 4.909 and 5.025 (0.116: the cubic's own power loss where 0.30 Hz is a
    # third of the beat rate, ln -0.12); quintic spline (now) 5.003 and 5.029 (0.026).
    rsa_55 = rsa_ln_ms2(*sine_beats(55.0))
    rsa_110 = rsa_ln_ms2(*sine_beats(110.0))
    assert abs(rsa_110 - rsa_55) <= 0.1  # issue 13
    assert rsa_55 == pytest.approx(5.003, abs=0.005)
    assert rsa_110 == pytest.approx(5.029, abs=0.005)
    assert math.log(200.0 * _chain_power_gain(0.30)) == pytest.approx(5.012, abs=0.001)


def test_rsa_ignores_slow_trends_and_mayer_waves() -> None:
    t = np.arange(1, 241) * 0.8
    slow = 800.0 + 0.5 * t + 30.0 * np.sin(2 * np.pi * 0.05 * t)
    with_rsa = slow + 20.0 * np.sin(2 * np.pi * 0.25 * t)
    # The same as the sine alone (ln(200 x chain gain), see above; before the cubic
    # resampling stated as ln 200, which linear resampling's loss happened to give).
    alone = math.log(200.0 * _chain_power_gain(0.25))
    assert rsa_ln_ms2(t, with_rsa) == pytest.approx(alone, abs=0.05)


def test_rsa_falls_with_vagal_withdrawal_in_the_simulator() -> None:
    # Simulator: an episode scales the RSA amplitude by 0.5 -> variance by 0.25,
    # ln 0.25 = -1.39 at the plateau (other components dilute it a little).
    episode = ArousalEpisode(start_s=300.0, duration_s=300.0, rmssd_factor=0.5)
    cfg = DyadConfig(client=PersonProfile(episodes=(episode,)), duration_s=700.0, seed=2)
    truth = simulate_dyad(cfg).truth["client"]
    t, rr = truth.t_ns / 1e9, truth.rr_ms
    rest = (t > 120) & (t < 290)
    plateau = (t > 360) & (t < 560)
    drop = rsa_ln_ms2(t[plateau], rr[plateau]) - rsa_ln_ms2(t[rest], rr[rest])
    assert -1.8 < drop < -0.9


def test_too_short_is_not_a_number() -> None:
    t = np.arange(1, 40) * 0.8
    assert math.isnan(rsa_ln_ms2(t, np.full(t.size, 800.0)))
