"""Shared inputs of the signal tests: real NN series and simulated strap beats."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from coregulate.acquisition.publisher import StrapPublisher
from coregulate.acquisition.simulator import DyadSimulation
from coregulate.acquisition.source import STATUS_DISCONNECTED, STATUS_STREAMING, SourceEvent
from coregulate.bus.envelope import make_message
from coregulate.signal.person import PersonConfig
from coregulate.signal.person_steps import Spectral, Update
from coregulate.stages.metrics_stage import PersonMetricsStage

DATA = Path(__file__).parent / "data" / "pyhrv"
S = 1_000_000_000
PERIOD_S = 150.0  # BlueZ drops a Polar H10 every 150 s (issue 20)


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


def stage_feeder(stage: PersonMetricsStage, role: str = "client") -> Callable[[dict], dict]:
    """Return a function that sends one beat payload to `stage` and gives its first output."""
    seq = 0

    def feed(payload: dict) -> dict:
        nonlocal seq
        seq += 1
        out = stage.update(make_message(f"beat.{role}", "acq", seq, payload["t_ns"][-1], payload))
        return out[0].payload

    return feed


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


def cut(
    nn_ms: np.ndarray, gap_s: float, period_s: float = PERIOD_S, offset_s: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (t_ns, nn_ms, seg): the beats ending in [k period, k period + gap) s cut out.

    k = 1, 2, ...; the first beat after each hole starts a new run (`seg`), as a
    strap that drops and reconnects gives them (issue 20: BlueZ, every 150 s).
    `offset_s` moves every hole later by that much.
    """
    t_ns = (np.cumsum(nn_ms) * 1e6).astype(np.int64)
    t_s = t_ns / S
    phase = np.mod(t_s - offset_s, period_s)
    drop = (t_s >= period_s + offset_s) & (phase < gap_s) if gap_s > 0 else np.zeros(t_s.size, bool)
    keep = ~drop
    after_hole = np.concatenate(([False], drop[:-1])) & keep  # the first beat after a hole
    seg = np.cumsum(after_hole)
    return t_ns[keep], nn_ms[keep].astype(float), seg[keep]


def spectral_series(
    t_ns: np.ndarray, nn_ms: np.ndarray, seg: np.ndarray, ends_ns: list[int] | None = None
) -> dict[int, tuple]:
    """Return {window end ns: (lf, hf, rsa, bridged gaps)} by the live step.

    The windows end at `ends_ns` (beat times), or at beats every >= 5 s from 240 s on.
    """
    if ends_ns is None:
        ends_ns, last = [], -np.inf
        for t in t_ns:
            if t - last >= 5 * S and t >= 240 * S:
                ends_ns.append(int(t))
                last = t
    step = Spectral(PersonConfig())
    kind = np.zeros(t_ns.size, np.int8)
    out: dict[int, tuple] = {}
    for t_end in ends_ns:
        end = int(np.searchsorted(t_ns, t_end, side="right"))
        u = Update(int(t_end), t_ns[:end], nn_ms[:end], seg[:end], kind[:end], {}, {})
        step._compute(u)
        out[int(t_end)] = (*step.values, tuple(step.bridged_s or ()))
    return out
