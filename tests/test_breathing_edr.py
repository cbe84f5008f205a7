"""ECG-derived respiration against a respiration belt, on a real recording a package ships.

Data: pyphysio 4.10.0 (PyPI wheel), ``pyphysio/test_data/medical.txt.bz2``: 240 s at
1024 Hz, columns ECG, EDA, BVP, respiration belt (``info_medical``). Only the file is
read (pyphysio itself is not imported); install it with ``pip install --no-deps
pyphysio==4.10.0``. NeuroKit2's own example data would need the network here.

Reference: the belt's rate = NeuroKit2 ``rsp_process`` ``RSP_Rate``, median per 60 s
window (starts 0, 30, ..., 180 s). EDR: NeuroKit2 ``ecg_peaks`` -> ``signal_rate`` ->
``ecg_rsp`` (vangent2019), rate from its breath-to-breath intervals (median).

Measured (this commit; ``pytest tests/test_breathing_edr.py -s``): belt 8.3, 8.5,
7.5, 7.7, 5.8, 6.3, 7.2 /min; |EDR - belt| 5.9, 0.2, 1.9, 3.2, 6.2, 5.7, 5.0 /min:
median 5.0, over the issue's 1.5 (the breathing here is slow, 6-9/min, and
irregular). So `breathing_source` is never "ecg": straps without ACC say why instead
(recordings/breathing_summary.py). The strict xfail turns into a failure the day an
EDR method meets the bar here, which is then the moment to use it.
"""

from __future__ import annotations

import bz2
import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pytest

from coregulate.signal.breathing import breath_times_s, decimate_blocks

FS_HZ = 1024


def _medical() -> np.ndarray:
    spec = importlib.util.find_spec("pyphysio")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("pyphysio's shipped recording is not installed (pip install --no-deps)")
    path = Path(spec.submodule_search_locations[0]) / "test_data" / "medical.txt.bz2"
    with bz2.open(path, "rt") as f:
        return np.loadtxt(f)


def _breath_rate(x: np.ndarray) -> float:
    d, fs = decimate_blocks(x[:, None], FS_HZ)
    peaks = breath_times_s(d, fs, 0)
    return float(60.0 / np.median(np.diff(peaks)))


@pytest.mark.xfail(strict=True, reason="EDR misses the belt by a median 5.0/min here")
def test_ecg_derived_respiration_within_1_5_per_min_of_the_belt() -> None:
    nk = pytest.importorskip("neurokit2")
    data = _medical()
    ecg, belt = data[:, 0], data[:, 3]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        belt_rate = nk.rsp_process(belt, sampling_rate=FS_HZ)[0]["RSP_Rate"].to_numpy()
        _, info = nk.ecg_peaks(nk.ecg_clean(ecg, sampling_rate=FS_HZ), sampling_rate=FS_HZ)
        hr = nk.signal_rate(info["ECG_R_Peaks"], sampling_rate=FS_HZ, desired_length=len(ecg))
        edr = nk.ecg_rsp(hr, sampling_rate=FS_HZ, method="vangent2019")
    diffs = []
    for start in range(0, 181, 30):
        window = slice(start * FS_HZ, (start + 60) * FS_HZ)
        diffs.append(abs(_breath_rate(edr[window]) - float(np.median(belt_rate[window]))))
    print("EDR-belt |diff| per window:", [round(d, 1) for d in diffs])  # noqa: T201
    assert float(np.median(diffs)) <= 1.5, diffs
