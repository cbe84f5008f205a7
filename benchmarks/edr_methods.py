"""ECG-derived respiration methods against the respiration belt, on the shipped recordings.

Prints, per recording (pyphysio 4.10.0 ``medical.txt.bz2`` at 2048 Hz, systole 0.3.1
``Task1`` at 1000 Hz; see tests/test_breathing_edr.py) and per ECG rate (its own and
the Polar H10's 130 Hz), the median over 60 s windows (stepped 30 s) of
|method - belt| in breaths/min, and the share of windows within 1.5/min. The belt's
rate is NeuroKit2 ``rsp_process`` ``RSP_Rate`` (median per window). A window where a
method gives no rate counts as a miss.

Methods: NeuroKit2 ``ecg_rsp`` (vangent2019, charlton2016, soni2019, sarkar2015: a
band-passed heart-rate series, its breaths by the window's peaks, the old test's
reading); coregulate.signal.edr's R-S amplitude alone (AM), RR intervals alone (FM)
and their fusion (AM+FM, what coregulate uses).

Run: ``pip install --no-deps pyphysio==4.10.0 systole==0.3.1`` once, then
``PYTHONPATH=src python benchmarks/edr_methods.py`` (about a minute).
"""

from __future__ import annotations

import bz2
import importlib.util
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from coregulate.signal.breathing import breath_times_s, decimate_blocks
from coregulate.signal.edr import (
    RESAMPLED_HZ,
    BeatFeatures,
    beat_features,
    count_orig_rate,
    edr_rate_from_beats,
)

NK_METHODS = ("vangent2019", "charlton2016", "soni2019", "sarkar2015")


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"pip install --no-deps {name} first")
    return Path(spec.submodule_search_locations[0])


def recordings() -> dict[str, tuple[np.ndarray, np.ndarray, int]]:
    """Return each recording's ECG, belt and sampling rate."""
    with bz2.open(_package_dir("pyphysio") / "test_data" / "medical.txt.bz2", "rt") as f:
        data = np.loadtxt(f)
    folder = _package_dir("systole") / "datasets"
    return {
        "pyphysio-medical": (data[:, 0], data[:, 3], 2048),
        "systole-task1": (
            np.load(folder / "Task1_ECG.npy"),
            np.load(folder / "Task1_Respiration.npy"),
            1000,
        ),
    }


def _peak_rate(x: np.ndarray, fs: float) -> float | None:
    d, fd = decimate_blocks(x[:, None], fs)
    peaks = breath_times_s(d, fd, 0)
    return float(60.0 / np.median(np.diff(peaks))) if len(peaks) > 2 else None


def _one(feats: BeatFeatures, t0: float, t1: float, which: str) -> float | None:
    inside = (feats.t_s >= t0) & (feats.t_s < t1)
    t, amp = feats.t_s[inside], feats.amp[inside]
    grid = np.arange(t0, t1, 1 / RESAMPLED_HZ)
    if which == "AM":
        return count_orig_rate(np.interp(grid, t, amp), RESAMPLED_HZ)
    return count_orig_rate(np.interp(grid, t[1:], np.diff(t)), RESAMPLED_HZ)


def methods(ecg: np.ndarray, fs: int) -> dict[str, Callable[[int, int], float | None]]:
    """Return each method as rate(t0_s, t1_s) on this ECG."""
    import neurokit2 as nk

    _, info = nk.ecg_peaks(nk.ecg_clean(ecg, sampling_rate=fs), sampling_rate=fs)
    hr = nk.signal_rate(info["ECG_R_Peaks"], sampling_rate=fs, desired_length=len(ecg))
    out: dict[str, Callable[[int, int], float | None]] = {}
    for m in NK_METHODS:
        edr = nk.ecg_rsp(hr, sampling_rate=fs, method=m)
        out[f"nk {m}"] = lambda a, b, e=edr: _peak_rate(e[a * fs : b * fs], fs)
    feats = beat_features(ecg, fs)
    out["AM (R-S amplitude)"] = lambda a, b: _one(feats, a, b, "AM")
    out["FM (RR intervals)"] = lambda a, b: _one(feats, a, b, "FM")
    out["AM+FM fused (used)"] = lambda a, b: edr_rate_from_beats(feats, a, b).rate_bpm
    return out


def main() -> None:
    """Print the table."""
    import neurokit2 as nk
    from scipy.signal import resample_poly

    warnings.simplefilter("ignore")
    print("recording | ECG Hz | method | median abs error /min | within 1.5")
    for name, (ecg, belt, fs) in recordings().items():
        rate = nk.rsp_process(belt, sampling_rate=fs)[0]["RSP_Rate"].to_numpy()
        starts = range(0, len(belt) // fs - 59, 30)
        belt_bpm = [float(np.median(rate[s * fs : (s + 60) * fs])) for s in starts]
        for fs_ecg in (fs, 130):
            x = ecg if fs_ecg == fs else resample_poly(ecg, 130, fs)
            for label, method in methods(x, fs_ecg).items():
                errs = []
                for s, b in zip(starts, belt_bpm, strict=True):
                    r = method(s, s + 60)
                    errs.append(np.inf if r is None else abs(r - b))
                print(
                    f"{name} | {fs_ecg} | {label} | {np.median(errs):.2f} | "
                    f"{np.mean(np.array(errs) <= 1.5):.0%}"
                )


if __name__ == "__main__":
    main()
