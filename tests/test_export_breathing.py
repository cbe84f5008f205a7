"""breathing.csv for files without live breathing updates: recomputed from ECG or ACC frames.

The ECG is real (pyphysio 4.10.0's ``medical.txt.bz2``, 120 s with a respiration
belt, at the H10's 130 Hz in 73-sample frames: tests/test_edr_live.py). Reference:
the updates the live strap publisher sends for the same frames (replay equals live),
and the belt's median rate, NeuroKit2 ``rsp_process`` ``RSP_Rate``: 14.7 /min
(tests/test_import_ecg.py).
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from coregulate.acquisition._sim_acc import AccScenario, simulate_acc
from coregulate.acquisition.pmd import encode_ecg_frame
from coregulate.acquisition.pmd_acc import encode_acc_frame
from coregulate.acquisition.publisher import StrapPublisher
from coregulate.acquisition.source import KIND_ECG, SourceEvent
from coregulate.recordings.export import export_csv
from coregulate.recordings.simulated_file import write_simulated_session
from shipped_recordings import pyphysio_medical_h10
from test_edr_live import _frames

BELT_MEDIAN_BPM = 14.7


class _Sent:
    def __init__(self) -> None:
        self.breath: list[dict[str, Any]] = []

    def send(self, topic: str, payload: Any, t_ns: int, enc: str | None = None) -> None:
        if topic.startswith("breath."):
            self.breath.append(payload)


def _rows(folder: Path) -> list[dict[str, str]]:
    with (folder / "breathing.csv").open() as f:
        return list(csv.DictReader(f))


def test_ecg_only_file_exports_the_breathing_the_live_publisher_would_have_sent(
    tmp_path: Path,
) -> None:
    uv, _ = pyphysio_medical_h10()
    frames = [(a, encode_ecg_frame(s, samples)) for a, s, samples in _frames(uv, 73)]
    live = _Sent()
    publisher = StrapPublisher("client", live)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for arrival, data in frames:
            publisher.handle(SourceEvent("client", arrival, data=data, kind=KIND_ECG))
    # The therapist's strap also sent ECG, but the file holds their live update: kept alone.
    recorded = {**live.breath[0], "breathing_rate_bpm": 11.5}
    extra = [("ecg.client", data, t) for t, data in frames]
    extra += [("ecg.therapist", data, t) for t, data in frames]
    extra.append(("breath.therapist", recorded, recorded["t_ns"]))
    src = write_simulated_session(tmp_path / "s.sqlite", seed=2, duration_s=130, extra=extra)
    written = export_csv(src, tmp_path / "csv")
    assert tmp_path / "csv" / "breathing.csv" in written  # before: only with ACC or live updates
    rows = _rows(tmp_path / "csv")
    therapist = [r for r in rows if r["role"] == "therapist"]
    assert [(r["t_ns"], r["breathing_rate_bpm"], r["origin"]) for r in therapist] == [
        (str(recorded["t_ns"]), "11.5", "live")
    ]
    client = [r for r in rows if r["role"] == "client"]
    assert len(client) == len(live.breath) >= 10
    for row, sent in zip(client, live.breath, strict=True):
        assert int(row["t_ns"]) == sent["t_ns"]
        want = sent["breathing_rate_bpm"]
        assert row["breathing_rate_bpm"] == ("" if want is None else str(want))
        assert (row["breathing_source"], row["origin"], row["moving"]) == ("ecg", "recomputed", "")
    rates = [float(r["breathing_rate_bpm"]) for r in client if r["breathing_rate_bpm"]]
    assert abs(float(np.median(rates)) - BELT_MEDIAN_BPM) <= 1.5, rates


def test_acc_only_file_exports_breathing_from_the_accelerometer(tmp_path: Path) -> None:
    """An `import --acc` file holds frames but no updates: 12 /min simulated, within 1/min."""
    _, xyz = simulate_acc(AccScenario(90.0, ((0.0, 12.0),), tilt_deg=0.7, seed=4))
    mg = np.rint(xyz).astype(int).tolist()
    extra = []
    for end in range(36, len(mg) + 1, 36):
        last_ns = (end - 1) * 5_000_000
        frame = encode_acc_frame(800 * 10**15 + last_ns, [tuple(s) for s in mg[end - 36 : end]])
        extra.append(("acc.client", frame, 10**9 + last_ns + 30_000_000))
    src = write_simulated_session(tmp_path / "s.sqlite", seed=2, duration_s=100, extra=extra)
    export_csv(src, tmp_path / "csv")
    rows = _rows(tmp_path / "csv")
    assert rows and {(r["role"], r["breathing_source"], r["origin"]) for r in rows} == {
        ("client", "acc", "recomputed")
    }
    rates = [float(r["breathing_rate_bpm"]) for r in rows if r["breathing_rate_bpm"]]
    assert rates and all(abs(r - 12.0) <= 1.0 for r in rates), rates
    assert {r["moving"] for r in rows} == {"0"}
