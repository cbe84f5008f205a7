"""A `control.baseline` re-take of the shortest allowed length works (issue 15 item 7)."""

from __future__ import annotations

import pytest

from coregulate.acquisition.simulator import DyadConfig, simulate_dyad
from coregulate.bus.envelope import make_message
from coregulate.signal.person import PersonConfig
from coregulate.stages.metrics_stage import PersonMetricsStage
from signal_support import beat_payloads, stage_feeder

S = 1_000_000_000


@pytest.mark.parametrize("duration_s", [10.0, 20.0, 60.0])
def test_a_short_retake_yields_a_baseline(duration_s: float) -> None:
    """10 s is the documented minimum (PersonSignal.retake_baseline): it must not always fail."""
    sim = simulate_dyad(DyadConfig(duration_s=400.0, seed=5))
    payloads = beat_payloads(sim)
    stage = PersonMetricsStage(PersonConfig(baseline_s=60.0))
    feed = stage_feeder(stage)

    for p in payloads[:150]:
        feed(p)
    retake = {"action": "retake", "role": "client", "duration_s": duration_s}
    stage.update(make_message("control.baseline", "ui", 1, 0, retake))
    start = feed(payloads[150])["baseline"]
    assert start["status"] == "collecting"
    last = start
    for p in payloads[151:]:
        last = feed(p)["baseline"]
        if p["t_ns"][-1] > start["end_t_ns"] + 5 * S:
            break
    assert last["status"] == "ready", last
    assert last["end_t_ns"] - last["start_t_ns"] == round(duration_s * S)
    assert last["n_samples"] >= 5
