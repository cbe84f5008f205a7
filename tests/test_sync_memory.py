"""The sync stage holds bounded memory over a long session (issue 15 item 11).

Before: it grew about 20-30 MB per session hour, nearly all of it SUSY's lagged
segment parts (every segment kept to pair with every later one). SUSY now pairs the
segments of the last `SUSY_HORIZON_S` (2 h: longer than any therapy session, so a
normal session's numbers are unchanged); older segments are dropped. The 10-hour
measurement is benchmarks/bench_sync_memory.py (docs/performance.md).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from coregulate.bus.envelope import make_message
from coregulate.signal.synchrony import track as track_module
from coregulate.signal.synchrony.surrogates import SegmentMatrix, susy_statistics
from coregulate.stages.sync_stage import SyncStage

S = 1_000_000_000


def _feed(stage: SyncStage, hours: float, seed: int = 1) -> None:
    """Beats of two people (HR 70 +/- 8 bpm, 1-min rhythm) plus their metrics."""
    rng = np.random.default_rng(seed)
    seq = {"client": 0, "therapist": 0}
    nxt = {"client": 0.0, "therapist": 0.3}
    while min(nxt.values()) < hours * 3600:
        role = min(nxt, key=nxt.get)
        t = nxt[role]
        phase = 0.0 if role == "client" else 0.5
        rr = 60000.0 / (70 + 8 * math.sin(2 * math.pi * t / 60 + phase) + rng.normal(0, 1))
        nxt[role] = t + rr / 1000
        t_ns = int(nxt[role] * S)
        seq[role] += 1
        beat = {"t_ns": [t_ns], "rr_ms": [rr], "gap_before": False}
        stage.update(make_message(f"beat.{role}", "acq", seq[role], t_ns, beat))
        metrics = {"t_ns": t_ns, "ln_rmssd": 3.5 + 0.3 * math.sin(t / 300 + phase)}
        stage.update(make_message(f"metrics.{role}", "signal", seq[role], t_ns, metrics))


def test_sync_stage_segments_stop_growing_after_the_horizon(monkeypatch) -> None:
    """A 5-minute horizon (10 heart-rate segments) over 25 minutes of session."""
    monkeypatch.setattr(track_module, "SUSY_HORIZON_S", 300.0)
    stage = SyncStage(phase_at_end=False)
    _feed(stage, 25 / 60)
    hr = stage.tracks["hr_bpm"].track.segments
    assert hr.n == 10 and hr._x.shape[0] == 10  # held, and allocated
    # Every segment was still computed once (25 min = 50 segments of 30 s; the last
    # one or two wait for the grid to become final), the oldest dropped.
    assert 47 <= hr.added <= 50 and hr.dropped == hr.added - 10
    slow = stage.tracks["ln_rmssd"].track.segments
    assert slow.n <= 300 / 45 + 1 and slow._x.shape[0] <= 7


@pytest.mark.parametrize("cap", [3, 8])
def test_a_capped_matrix_equals_one_of_its_last_segments(cap: int) -> None:
    """Dropping the oldest segment leaves exactly the matrix of the segments kept."""
    rng = np.random.default_rng(2)
    segments = [(rng.normal(size=40), rng.normal(size=40)) for _ in range(20)]
    segments[15] = (np.full(40, np.nan), segments[15][1])  # an unusable segment too
    capped = SegmentMatrix(4, max_segments=cap)
    for x, y in segments:
        capped.add(x, y)
    fresh = SegmentMatrix(4)
    for x, y in segments[-cap:]:
        fresh.add(x, y)
    assert capped.n == cap and capped.added == 20
    assert capped.valid == fresh.valid
    np.testing.assert_array_equal(capped.z[:cap, :cap], fresh.z[:cap, :cap])
    np.testing.assert_array_equal(capped.z_abs[:cap, :cap], fresh.z_abs[:cap, :cap])
    assert susy_statistics(capped, 50, 0.05, 2) == susy_statistics(fresh, 50, 0.05, 2)


def test_the_horizon_leaves_a_normal_session_unchanged() -> None:
    """Two hours: longer than a therapy session (50-90 min) and than SUSY's usual data."""
    assert track_module.SUSY_HORIZON_S == 2 * 3600
