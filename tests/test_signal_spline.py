"""The NumPy quadratic spline and FIR kernels equal SciPy's (the definitions of record).

`signal/spline.py` replaces ``scipy.interpolate.make_interp_spline(k=2)`` (what
NeuroKit2's ``interp1d(kind="quadratic")`` resampling runs) and `signal/rsa.py`
builds its kernels without ``scipy.signal``, because importing SciPy costs more than
an hour's offline analysis. These tests hold them to SciPy itself.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy.interpolate import make_interp_spline
from scipy.signal import firwin, savgol_coeffs

from coregulate.signal.rsa import FIR_TAPS, RSA_BAND_HZ, RSA_FS_HZ, bandpass_fir, savgol_smoother
from coregulate.signal.spline import quadratic_spline, quintic_spline
from signal_support import pyhrv_nn


def test_quadratic_spline_equals_scipy_on_real_beats() -> None:
    # pyhrv's 1-hour NN series (real ECG-derived intervals, tests/data/pyhrv).
    nn = pyhrv_nn("Long")
    assert nn is not None
    t_s = np.cumsum(nn) / 1000.0
    rng = np.random.default_rng(12)
    worst = 0.0
    for _ in range(200):
        n = int(rng.integers(3, 250))
        lo = int(rng.integers(0, t_s.size - n))
        x, y = t_s[lo : lo + n], nn[lo : lo + n]
        grid = np.arange(x[0], x[-1] + 0.25, 0.25)
        ref = make_interp_spline(x, y, k=2)(grid)
        worst = max(worst, float(np.max(np.abs(quadratic_spline(x, y, grid) - ref))))
    assert worst < 1e-9  # ms; measured 2e-13 (rounding only)


@pytest.mark.parametrize("n", [3, 4, 5, 17])
def test_quadratic_spline_equals_scipy_on_irregular_points(n: int) -> None:
    rng = np.random.default_rng(n)
    x = np.cumsum(rng.uniform(0.3, 2.0, n))
    y = rng.normal(800.0, 50.0, n)
    u = np.linspace(x[0] - 0.5, x[-1] + 0.5, 97)  # including extrapolation
    np.testing.assert_allclose(
        quadratic_spline(x, y, u), make_interp_spline(x, y, k=2)(u), rtol=1e-12, atol=1e-9
    )


def test_quadratic_spline_refuses_too_few_points() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        quadratic_spline(np.array([0.0, 1.0]), np.array([1.0, 2.0]), np.array([0.5]))


@pytest.mark.parametrize("name", ["Short", "Long"])
def test_quintic_spline_equals_scipy_on_real_beats(name: str) -> None:
    # Reference: scipy.interpolate.make_interp_spline(k=5) on pyhrv's real NN series
    # (tests/data/pyhrv) at RSA's 2 Hz grid, on windows of 6-400 beats.
    nn = pyhrv_nn(name)
    if nn is None:
        pytest.skip("pyhrv sample series not present")
    t = np.cumsum(nn) / 1000.0
    rng = np.random.default_rng(5)
    for _ in range(40):
        n = int(rng.integers(6, min(400, t.size)))
        lo = int(rng.integers(0, t.size - n + 1))
        x, y = t[lo : lo + n], nn[lo : lo + n]
        grid = np.arange(x[0], x[-1], 0.5)
        ref = make_interp_spline(x, y, k=5)(grid)
        np.testing.assert_allclose(quintic_spline(x, y, grid), ref, rtol=1e-9)  # measured 1e-15


def test_quintic_spline_equals_scipy_on_irregular_points() -> None:
    rng = np.random.default_rng(7)
    for n in (6, 7, 50):
        x = np.cumsum(rng.uniform(0.3, 2.0, n))
        y = rng.normal(800.0, 60.0, n)
        u = np.linspace(x[0] - 0.5, x[-1] + 0.5, 301)  # and the end pieces beyond
        ref = make_interp_spline(x, y, k=5)(u)
        np.testing.assert_allclose(quintic_spline(x, y, u), ref, rtol=1e-9, atol=1e-9)
    with pytest.raises(ValueError, match="at least 6"):
        quintic_spline(np.arange(5.0), np.arange(5.0), np.array([0.5]))


def test_rsa_kernels_equal_scipy() -> None:
    np.testing.assert_allclose(savgol_smoother(21, 3), savgol_coeffs(21, 3), atol=1e-14)
    ref = firwin(FIR_TAPS, RSA_BAND_HZ, pass_zero=False, fs=RSA_FS_HZ)
    np.testing.assert_allclose(bandpass_fir(FIR_TAPS, RSA_BAND_HZ, RSA_FS_HZ), ref, atol=1e-15)


def test_offline_analysis_imports_neither_scipy_nor_neurokit2() -> None:
    code = (
        "import sys, coregulate.recordings.analysis, coregulate.signal.person;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scipy', 'neurokit2',"
        " 'matplotlib', 'PySide6')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
