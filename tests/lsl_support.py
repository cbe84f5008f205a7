"""Shared parts of the LSL tests: pylsl on this computer only, real data, reading outlets.

Every test process that touches LSL first loads pylsl through
`coregulate.acquisition.lsl.load_pylsl`, which hands liblsl the generated
machine-scope configuration: resolves go to 127.0.0.1 only, so no test traffic
leaves the computer.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from coregulate.sessionfile.access import read_messages

DATA = Path(__file__).parent / "data" / "pyhrv"
RESOLVE_S = 5.0  # the longest any test waits for a stream to appear


def machine_pylsl() -> Any:
    """Return pylsl set to machine scope (skip the test if pylsl is not installed)."""
    pytest.importorskip("pylsl")
    from coregulate.acquisition.lsl import load_pylsl

    return load_pylsl(lab=False)


def unique(name: str) -> str:
    """Return `name` made unique, so parallel or leftover outlets never mix."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


def pyhrv_nn_short_ms() -> np.ndarray:
    """Return pyhrv's 5-minute NN series (ms), the real RR recording the tests play."""
    return np.load(DATA / "SampleNNISeriesShort.npy").astype(float)


def bitalino_ecg_uv_130hz() -> np.ndarray:
    """Return pyhrv's SampleECG.txt (BITalino, 1000 Hz) in µV, resampled to 130 Hz.

    BITalino's ECG sensor transfer function (datasheet "ECG Sensor", rev. 2020):
    ECG(mV) = (ADC / 2**n - 1/2) * VCC / G with n = 10 bits, VCC = 3.3 V, G = 1100.
    Resampled with NeuroKit2's `signal_resample` (its default method).
    """
    import neurokit2 as nk

    adc = np.loadtxt(DATA / "SampleECG.txt", comments="#", usecols=5)
    mv = (adc / 2**10 - 0.5) * 3.3 / 1100 * 1000
    uv_1000 = mv * 1000.0
    return np.asarray(
        nk.signal_resample(uv_1000, sampling_rate=1000, desired_sampling_rate=130), float
    )


def rr_outlet(pylsl: Any, name: str, channels: int = 1, rate: float = 0.0, kind: str = "RR") -> Any:
    """Return an outlet like a lab's RR stream (one channel of ms per beat)."""
    info = pylsl.StreamInfo(name, kind, channels, rate, "double64", f"test-{name}")
    return pylsl.StreamOutlet(info)


def ecg_outlet(pylsl: Any, name: str, rate_hz: float = 130.0, channels: int = 1) -> Any:
    """Return an ECG outlet at `rate_hz` whose channels say they are in microvolts."""
    info = pylsl.StreamInfo(name, "ECG", channels, rate_hz, "float32", f"test-{name}")
    chans = info.desc().append_child("channels")
    for i in range(channels):
        ch = chans.append_child("channel")
        ch.append_child_value("label", f"ECG{i}")
        ch.append_child_value("unit", "microvolts")
    return pylsl.StreamOutlet(info)


def wait_for_consumer(outlet: Any, timeout_s: float = 30.0) -> None:
    """Wait until something (the session's inlet) reads `outlet`; fail the test otherwise."""
    assert outlet.wait_for_consumers(timeout_s), "the session never opened the LSL stream"


class InletReader:
    """Reads inlets (opened with ``recover=False``) in a thread until their outlets close.

    liblsl drops what an inlet had not handed over once it notices the outlet gone,
    so the samples are pulled as they come, as LabRecorder does.
    """

    def __init__(self, inlets: dict[str, Any], timeout_s: float = 60.0) -> None:
        import threading

        self.inlets = inlets
        self.samples: dict[str, tuple[list[Any], list[float]]] = {n: ([], []) for n in inlets}
        self._deadline = time.monotonic() + timeout_s
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        open_ = dict(self.inlets)
        while open_ and time.monotonic() < self._deadline:
            for name, inlet in list(open_.items()):
                try:
                    chunk, ts = inlet.pull_chunk(timeout=0.0)
                except Exception:  # pylsl.util.LostError: the outlet closed
                    del open_[name]
                    continue
                self.samples[name][0].extend(chunk)
                self.samples[name][1].extend(ts)
            time.sleep(0.01)

    def join(self) -> dict[str, tuple[list[Any], list[float]]]:
        """Return every stream's (samples, times) once all outlets have closed."""
        self._thread.join(max(0.0, self._deadline - time.monotonic()))
        return self.samples


def recorded(path: Path, topic: str) -> list[Any]:
    """Return the JSON payloads of `topic` in the session file, in recorded order."""
    return [json.loads(m.payload) for m in read_messages(path, (topic,)) if m.topic == topic]


def recorded_beats(path: Path, role: str) -> tuple[list[int], list[float], list[bool]]:
    """Return every recorded beat of `role`: times (ns), RR (ms), and gap flags per message."""
    t_ns: list[int] = []
    rr_ms: list[float] = []
    gaps: list[bool] = []
    for body in recorded(path, f"beat.{role}"):
        t_ns += body["t_ns"]
        rr_ms += body["rr_ms"]
        gaps += [bool(body["gap_before"])] + [False] * (len(body["t_ns"]) - 1)
    return t_ns, rr_ms, gaps
