"""Shared inputs of the signal tests: real NN series and simulated strap beats."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from coregulate.acquisition.publisher import StrapPublisher
from coregulate.acquisition.simulator import DyadSimulation
from coregulate.acquisition.source import STATUS_DISCONNECTED, STATUS_STREAMING, SourceEvent

DATA = Path(__file__).parent / "data" / "pyhrv"


def pyhrv_nn(name: str) -> np.ndarray | None:
    """Return a pyhrv sample NN series (ms) shipped in tests/data, or None if absent."""
    path = DATA / f"SampleNNISeries{name}.npy"
    return np.load(path).astype(float) if path.exists() else None


class _Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, object, int]] = []

    def send(self, topic: str, payload: object, t_ns: int, enc: str | None = None) -> None:
        self.sent.append((topic, payload, t_ns))


def beat_payloads(sim: DyadSimulation, role: str = "client") -> list[dict]:
    """Return the `beat.<role>` payloads the acquisition process publishes for `sim`."""
    rec = _Recorder()
    pub = StrapPublisher(role, rec)
    for ev in sim.events:
        if ev.role != role:
            continue
        if ev.kind == "notification":
            pub.handle(SourceEvent(role, ev.arrival_ns, data=ev.data))
        elif ev.kind == "disconnected":
            pub.handle(SourceEvent(role, ev.arrival_ns, status=STATUS_DISCONNECTED))
        else:
            pub.handle(SourceEvent(role, ev.arrival_ns, status=STATUS_STREAMING))
    return [p for t, p, _ in rec.sent if t == f"beat.{role}"]  # type: ignore[misc]


def sine_beats(
    bpm: float, amplitude_ms: float = 20.0, freq_hz: float = 0.30, duration_s: float = 300.0
) -> tuple[np.ndarray, np.ndarray]:
    """Return (end time s, RR ms) of beats at `bpm` whose RR oscillates as a sine.

    RR_j = 60000 / bpm + amplitude · sin(2π f t_{j-1}), t_{j-1} the beat's start:
    the same oscillation in ms at any heart rate, sampled by the beats.
    """
    t, rr = [0.0], []
    while t[-1] < duration_s:
        r = 60000.0 / bpm + amplitude_ms * np.sin(2 * np.pi * freq_hz * t[-1])
        rr.append(r)
        t.append(t[-1] + r / 1000.0)
    return np.array(t[1:]), np.array(rr)
