"""Live breathing from the ECG when a strap has no accelerometer (signal/edr_live.py).

The ECG is real: pyphysio 4.10.0's ``test_data/medical.txt.bz2`` (2048 Hz, 120 s, with
a respiration belt; tests/test_breathing_edr.py), resampled to the H10's 130 Hz and
cut into the H10's 73-sample frames. Reference: the belt's rate, NeuroKit2
``rsp_process`` ``RSP_Rate``, median over the same 60 s as each update's window.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from coregulate.acquisition.pmd import encode_ecg_frame
from coregulate.acquisition.pmd_acc import encode_acc_frame
from coregulate.acquisition.publisher import StrapPublisher
from coregulate.acquisition.source import KIND_ECG, SourceEvent
from coregulate.signal.edr_live import EcgBreathingTracker
from shipped_recordings import pyphysio_medical_h10

H10_HZ = 130
STAMP0_NS = 767_000_000_000_000_000
ARRIVAL_AFTER_NS = 20_000_000  # each frame arrives 20 ms after its last sample


def _frames(uv: np.ndarray, per: int) -> list[tuple[int, int, list[int]]]:
    """Return (arrival ns, stamp ns of the last sample, samples) per frame."""
    out = []
    for a in range(0, len(uv), per):
        last = min(a + per, len(uv)) - 1
        stamp = STAMP0_NS + round(last * 1e9 / H10_HZ)
        arrival = round(last * 1e9 / H10_HZ) + 2_000_000_000 + ARRIVAL_AFTER_NS
        out.append((arrival, stamp, uv[a : last + 1].tolist()))
    return out


def _run(uv: np.ndarray, per: int) -> list[dict[str, Any]]:
    tracker = EcgBreathingTracker()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [u for arr, st, s in _frames(uv, per) for u in tracker.add(arr, st, s)]


def test_ecg_updates_follow_the_belt_and_do_not_depend_on_how_frames_are_cut() -> None:
    import neurokit2 as nk

    uv, belt = pyphysio_medical_h10()
    updates = _run(uv, 73)
    assert updates == _run(uv, 37)  # replay gives the same updates, however cut
    times_s = [u["t_ns"] / 1e9 - 2 for u in updates]  # sample 0 is at session 2 s
    assert all(u["breathing_source"] == "ecg" and u["moving"] is None for u in updates)
    assert times_s[0] >= 30 and np.allclose(np.diff(times_s), 5)  # nothing before 30 s
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rate = nk.rsp_process(belt, 2048)[0]["RSP_Rate"].to_numpy()
    diffs = []
    for u, end_s in zip(updates, times_s, strict=True):
        if end_s >= 60:  # a full window
            belt_bpm = float(np.median(rate[int((end_s - 60) * 2048) : int(end_s * 2048)]))
            got = u["breathing_rate_bpm"]
            diffs.append(np.inf if got is None else abs(got - belt_bpm))
    print("live EDR |diff| per update:", [round(d, 1) for d in diffs])  # noqa: T201
    assert len(diffs) >= 10 and float(np.median(diffs)) <= 1.5, diffs


class _Sent:
    def __init__(self) -> None:
        self.messages: list[tuple[str, Any, int]] = []

    def send(self, topic: str, payload: object, t_ns: int, enc: str | None = None) -> None:
        self.messages.append((topic, payload, t_ns))


def test_the_publisher_sends_ecg_breathing_until_the_accelerometer_comes() -> None:
    uv = np.rint(1000 * np.sin(np.arange(90 * H10_HZ) * 2 * np.pi * 1.2 / H10_HZ)).astype(int)
    sent = _Sent()
    pub = StrapPublisher("client", sent)
    frames = _frames(uv, 73)
    acc_from_ns = frames[-1][0] - 20_000_000_000  # ACC starts 20 s before the end
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for arrival, stamp, samples in frames:
            data = encode_ecg_frame(stamp, samples)
            pub.handle(SourceEvent("client", arrival, data=data, kind=KIND_ECG))
            if arrival >= acc_from_ns:
                acc = encode_acc_frame(stamp, [(0, 0, 1000)] * 36)
                pub.handle(SourceEvent("client", arrival, data=acc, kind=KIND_ECG))
    breath = [(t, p) for topic, p, t in sent.messages if topic == "breath.client"]
    from_ecg = [t for t, p in breath if p["breathing_source"] == "ecg"]
    assert from_ecg and min(from_ecg) >= 2e9 + 30e9 and max(from_ecg) <= acc_from_ns
    assert all(p["breathing_source"] == "acc" for t, p in breath if t > acc_from_ns + 5e9)


def test_the_window_names_the_ecg_as_the_source() -> None:
    from coregulate.ui.breath_lines import breathing_readout

    update = {"breathing_rate_bpm": 14.2, "breathing_source": "ecg", "window_s": 60.0}
    assert breathing_readout(update, 1.0) == "Breathing: 14 /min (from the ECG, 60 s)"
