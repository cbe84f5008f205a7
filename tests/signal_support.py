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


def displayed_hr_and_ln_rmssd(rr_ms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (time s, HR bpm, lnRMSSD) of every live update for a series (NaN: none)."""
    from coregulate.signal.person import PersonConfig, metrics_at_every_beat

    t_ns = (np.cumsum(rr_ms) * 1e6).astype(np.int64)
    ms = metrics_at_every_beat(t_ns, rr_ms, config=PersonConfig(baseline_s=0))
    t = np.array([m.t_ns for m in ms]) / 1e9
    hr = np.array([np.nan if m.hr_bpm is None else m.hr_bpm for m in ms])
    ln = np.array([np.nan if m.ln_rmssd is None else m.ln_rmssd for m in ms])
    return t, hr, ln


def not_settled_after_baselines(
    t_s: np.ndarray,
    hr: np.ndarray,
    ln: np.ndarray,
    starts_s: np.ndarray,
    duration_s: float = 180.0,
    profile_of=None,
    thresholds=None,
) -> np.ndarray:
    """Return, per baseline start, the share of the later time the state is not "settled".

    The chain's pieces: the baseline is what `BaselineCollector` makes of the updates
    in ``[start, start + duration)`` (or ``profile_of(hr, ln)`` of them), then
    `arousal_index` and `StateTracker` (default thresholds, 15 s dwell) over every
    later update with both values; each update's state holds until the next one.
    """
    from coregulate.signal.baseline import (
        NS_PER_S,
        SETTLED,
        BaselineCollector,
        StateTracker,
        arousal_index,
    )

    both = np.isfinite(hr) & np.isfinite(ln)
    out = []
    for start in starts_s:
        inside = both & (t_s >= start) & (t_s < start + duration_s)
        if profile_of is None:
            collector = BaselineCollector(round(start * NS_PER_S), duration_s)
            for t, h, v in zip(t_s[inside], hr[inside], ln[inside], strict=True):
                collector.add(round(t * NS_PER_S), float(h), float(v))
            profile = collector.result()
        else:
            profile = profile_of(hr[inside], ln[inside])
        after = both & (t_s >= start + duration_s)
        tracker = StateTracker(thresholds)
        t_after = t_s[after]
        states = np.array(
            [
                tracker.update(round(t * NS_PER_S), arousal_index(float(h), float(v), profile))
                != SETTLED
                for t, h, v in zip(t_after, hr[after], ln[after], strict=True)
            ]
        )
        held = np.diff(t_after, append=t_after[-1])
        out.append(float(np.sum(held * states) / np.sum(held)))
    return np.array(out)
