"""A Polar Sensor Logger ECG file without its RR file: beats from the ECG's R peaks.

The file's samples become the PMD frames a live H10 would have sent
(recordings/import_acc.py), and the session clock starts 2 s before the first
notification, as for a Sensor Logger RR file. The samples are placed on that clock
by the strap's own timestamps (recordings/export_bids.ecg_on_grid, as analyze and
export read them); R peaks are NeuroKit2's (``ecg_clean`` then ``ecg_peaks``, the
definition of record, as for live ECG beats in acquisition/ecg_beats.py), found in
each unbroken run of samples and refined to a fraction of a sample by a parabola
through the cleaned signal (7.7 ms a sample at 130 Hz would otherwise quantise every
RR interval). Each beat after the first of a run is one beat, its RR the distance
to the previous peak; the first after lost samples, or after an interval over
:data:`MAX_RR_S`, starts a new segment (``gap_before``), as live.
"""

from __future__ import annotations

import os
from itertools import pairwise
from typing import Final

import numpy as np

from coregulate.recordings.import_acc import polar_ecg_messages
from coregulate.recordings.import_text import ImportFileError
from coregulate.recordings.importers import ImportedRecording, Notification
from coregulate.signal.edr import finite_runs

FORMAT: Final = "polar-sensor-logger-ecg"
MAX_RR_S: Final = 3.0  # a longer interval means beats were missed (ecg_beats.MAX_RR_NS)
_ANCHOR_BEFORE_NS: Final = 2 * 10**9


def r_peak_times_s(ecg_uv: np.ndarray, fs_hz: float) -> np.ndarray:
    """Return NeuroKit2's R peaks of one unbroken ECG run, in s from its first sample."""
    import neurokit2 as nk

    if len(ecg_uv) < 3 * fs_hz:
        return np.empty(0)
    clean = np.asarray(nk.ecg_clean(np.asarray(ecg_uv, float), sampling_rate=fs_hz), float)
    _, info = nk.ecg_peaks(clean, sampling_rate=fs_hz)
    peaks = np.asarray(info["ECG_R_Peaks"], dtype=int)
    peaks = peaks[(peaks >= 1) & (peaks < len(clean) - 1)]
    y0, y1, y2 = clean[peaks - 1], clean[peaks], clean[peaks + 1]
    den = y0 - 2 * y1 + y2
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(den < 0, 0.5 * (y0 - y2) / den, 0.0)  # the parabola's vertex
    return (peaks + np.clip(frac, -0.5, 0.5)) / fs_hz


def _beats(start_s: float, uv: np.ndarray, fs_hz: float) -> list[Notification]:
    """Return one Notification per beat with an interval, placed on the session clock."""
    notes: list[Notification] = []
    for a, b in finite_runs(uv):
        peaks_s = start_s + a / fs_hz + r_peak_times_s(uv[a:b], fs_hz)
        gap = True  # the first beat of a run has no interval
        for prev, t in pairwise(peaks_s):
            if t - prev > MAX_RR_S:
                gap = True
                continue
            t_ns = round(t * 1e9)
            notes.append(Notification([(t - prev) * 1000.0], None, [t_ns], gap))
            gap = False
    return notes


def read_polar_ecg(
    path: str | os.PathLike[str], role: str = "client"
) -> tuple[ImportedRecording, list[tuple[str, bytes, int]]]:
    """Return the beats of a Polar Sensor Logger ECG file and its raw frames (topic, bytes, t_ns).

    Raises ImportFileError (one line) for a file that is not one, or holds no heartbeat.
    """
    from coregulate.acquisition.pmd import ECG_RATE_HZ
    from coregulate.recordings.export_bids import ecg_on_grid

    found = polar_ecg_messages(path, role, 0)  # t_ns: the phone's wall clock
    anchor_ns = found[0][2] - _ANCHOR_BEFORE_NS
    frames = [(topic, data, t_ns - anchor_ns) for topic, data, t_ns in found]
    start_s, uv = ecg_on_grid([(t_ns, data) for _, data, t_ns in frames])
    notes = _beats(start_s, uv, ECG_RATE_HZ)
    if not notes:
        raise ImportFileError(f"{path}: NeuroKit2 found no two successive R peaks in the ECG")
    name = os.path.basename(os.fspath(path))
    return ImportedRecording(FORMAT, anchor_ns, {role: name}, {role: notes}), frames
