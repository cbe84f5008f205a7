"""Real ECG + respiration-belt recordings that PyPI packages ship, read as plain files.

Only the data is used, so .ci/run installs the packages without their dependencies
(``pip install --no-deps pyphysio==4.10.0 systole==0.3.1``); a test skips and says so
when one is absent.

- pyphysio 4.10.0, ``test_data/medical.txt.bz2``: ECG (mV), EDA, BVP, respiration belt;
  245,760 rows at 2048 Hz = 120 s (pyphysio's loader: ``TestData._fsamp_medical``).
- systole 0.3.1, ``datasets/Task1_ECG.npy`` and ``Task1_Respiration.npy``: 1537 s at
  1000 Hz, recorded together (Legrand et al. 2020).
"""

from __future__ import annotations

import bz2
import importlib.util
from pathlib import Path

import numpy as np
import pytest

H10_HZ = 130  # the Polar H10's ECG rate
PYPHYSIO_HZ = 2048
SYSTOLE_HZ = 1000


def package_dir(name: str) -> Path:
    """Return an installed package's folder, or skip the test saying how to install it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        pytest.skip(f"{name}'s shipped recording is not installed (pip install --no-deps)")
    return Path(spec.submodule_search_locations[0])


def pyphysio_medical() -> tuple[np.ndarray, np.ndarray, int]:
    """Return pyphysio's ECG (mV), its respiration belt and their rate (2048 Hz)."""
    with bz2.open(package_dir("pyphysio") / "test_data" / "medical.txt.bz2", "rt") as f:
        data = np.loadtxt(f)
    return data[:, 0], data[:, 3], PYPHYSIO_HZ


def systole_task1() -> tuple[np.ndarray, np.ndarray, int]:
    """Return systole's Task1 ECG, its respiration belt and their rate (1000 Hz)."""
    folder = package_dir("systole") / "datasets"
    ecg, belt = np.load(folder / "Task1_ECG.npy"), np.load(folder / "Task1_Respiration.npy")
    return ecg, belt, SYSTOLE_HZ


def pyphysio_medical_h10() -> tuple[np.ndarray, np.ndarray]:
    """Return pyphysio's ECG resampled to the H10's 130 Hz in whole µV, and the belt (2048 Hz)."""
    from scipy.signal import resample_poly

    ecg, belt, fs = pyphysio_medical()
    return np.rint(resample_poly(ecg, H10_HZ, fs) * 1000).astype(int), belt
