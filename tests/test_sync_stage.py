"""The sync stage without sockets: beat and metrics messages in, `sync` messages out."""

from __future__ import annotations

import numpy as np

from coregulate.acquisition.simulator import demo_config, simulate_dyad
from coregulate.bus.envelope import make_message
from coregulate.signal.synchrony import HR_PARAMS, SLOW_PARAMS, LiveSynchrony
from coregulate.stages.sync_stage import SyncStage

NS = 1_000_000_000


def _messages(duration_s: float = 420.0, arousal_from_s: float = 200.0) -> list:
    """Beat and metrics messages of a simulated session, one per second per person."""
    sim = simulate_dyad(demo_config(seed=5, duration_s=duration_s))
    msgs = []
    seq = {}
    for role in ("client", "therapist"):
        truth = sim.truth[role]
        keep = truth.delivered
        t_ns, rr_ms = truth.t_ns[keep], truth.rr_ms[keep]
        lost = np.concatenate(([False], ~keep[:-1]))[keep]
        second = t_ns // NS
        for s in np.unique(second):
            idx = np.flatnonzero(second == s)
            t_last = int(t_ns[idx[-1]])
            beat = {
                "t_ns": t_ns[idx].tolist(),
                "rr_ms": rr_ms[idx].tolist(),
                "gap_before": bool(lost[idx[0]]),
            }
            metrics = {"t_ns": t_last, "ln_rmssd": 3.5 + 0.3 * np.sin(s / 40.0), "hr_bpm": 70.0}
            if s < 60:
                metrics["ln_rmssd"] = None  # "not available" at the start
            if s >= arousal_from_s:
                metrics["arousal_index"] = float(np.cos(s / 30.0))
            msgs.append((t_last, role, "beat", beat))
            msgs.append((t_last, role, "metrics", metrics))
    msgs.sort(key=lambda m: (m[0], m[1], m[2]))
    out = []
    for t_last, role, kind, payload in msgs:
        topic = f"{kind}.{role}"
        seq[topic] = seq.get(topic, 0) + 1
        out.append(
            make_message(topic, "acq" if kind == "beat" else "signal", seq[topic], t_last, payload)
        )
    return out


def test_stage_publishes_sync_for_heart_rate_and_each_named_slow_series() -> None:
    stage = SyncStage(phase_at_end=True)
    outputs = []
    for msg in _messages():
        outputs += stage.update(msg)
    outputs += stage.terminate()
    assert outputs and all(o.topic == "sync" for o in outputs)
    for o in outputs:
        make_message(o.topic, stage.name, 1, o.t_ns, o.payload)  # valid JSON, no NaN
    series = {o.payload["series"] for o in outputs}
    assert series == {"hr_bpm", "ln_rmssd", "arousal_index"}
    hr = [o.payload for o in outputs if o.payload["series"] == "hr_bpm" and not o.payload["final"]]
    # One message per 1 s step, each carrying every parameter used.
    assert [u["t_ns"] for u in hr] == [k * NS for k in range(1, len(hr) + 1)]
    assert hr[-1]["params"] == HR_PARAMS.to_dict()
    assert sum(u["window"] is not None for u in hr) > 200
    arousal = [o.payload for o in outputs if o.payload["series"] == "arousal_index"]
    assert arousal[0]["t_ns"] > 0 and arousal[0]["params"]["grid_hz"] == 1.0
    finals = [o.payload for o in outputs if o.payload["final"]]
    assert {f["series"] for f in finals} == series
    assert all("phase" in f for f in finals)


def test_stage_equals_the_live_kernel_and_replays_identically() -> None:
    msgs = _messages(duration_s=300.0)
    runs = []
    for _ in range(2):
        stage = SyncStage(phase_at_end=False)
        runs.append([o.payload for m in msgs for o in stage.update(m)])
    assert runs[0] == runs[1]
    live = LiveSynchrony(HR_PARAMS, "hr_bpm")
    direct = []
    for m in msgs:
        if m.topic.startswith("beat."):
            beat = m.json()
            live.add_beats(m.role, beat["t_ns"], beat["rr_ms"], beat["gap_before"])
        else:
            live.now_ns = max(live.now_ns, m.t_ns)
        direct += live.advance()
    staged = [
        {k: v for k, v in u.items() if k not in ("final", "late_values")}
        for u in runs[0]
        if u["series"] == "hr_bpm"
    ]
    assert staged == direct


def test_stage_ignores_malformed_and_unknown_messages() -> None:
    stage = SyncStage()
    assert stage.update(make_message("beat.client", "acq", 1, 0, {"nope": 1})) == []
    assert stage.update(make_message("beat.client", "acq", 2, 0, b"\x00")) == []
    assert (
        stage.update(make_message("metrics.client", "signal", 1, 0, {"t_ns": 0, "ln_rmssd": "x"}))
        == []
    )
    assert stage.update(make_message("beat.visitor", "acq", 1, 0, {"t_ns": [], "rr_ms": []})) == []
    assert stage.terminate() == []  # nothing to report, nothing raised


def _breath_messages(duration_s: float, lead_s: float, seed: int, paced: bool) -> list:
    """`breath.<role>` updates every 5 s, with 0.3/min estimation noise and a 20 s gesture.

    Paced: both follow one slow random walk (a shared, non-periodic drive), the client
    `lead_s` behind the therapist. Unrelated: each person's own walk.
    """
    rng = np.random.default_rng(seed)
    fine_s = np.arange(-60.0, duration_s + 1.0)  # a 1 s walk, smoothed over 20 s
    walks = {
        r: np.convolve(np.cumsum(rng.normal(0, 0.3, len(fine_s))), np.ones(20) / 20, "same")
        for r in ("client", "therapist")
    }
    out = []
    for i, t in enumerate(np.arange(5.0, duration_s + 1e-9, 5.0)):
        for role in ("client", "therapist"):
            source = "therapist" if paced else role
            shift = lead_s if role == "client" else 0.0
            rate = 12.0 + np.interp(t - shift, fine_s, walks[source]) + rng.normal(0, 0.3)
            moving = bool(role == "client" and 300 <= t < 320)  # a gesture: no rate, a gap
            payload = {
                "t_ns": int(t * NS),
                "breathing_rate_bpm": None if moving else round(float(rate), 2),
                "breathing_source": "acc",
                "moving": moving,
            }
            out.append(make_message(f"breath.{role}", "acq", i + 1, int(t * NS), payload))
    return out


def _breath_windows(paced: bool, lead_s: float, seed: int) -> tuple[list, list]:
    """Run the stage on 40 min of breathing; return (all breathing updates, banded windows)."""
    stage = SyncStage(phase_at_end=False)
    msgs = _breath_messages(2400.0, lead_s, seed, paced)
    updates = [o.payload for m in msgs for o in stage.update(m)]
    updates += [o.payload for o in stage.terminate()]
    breath = [u for u in updates if u["series"] == "breathing_rate_bpm"]
    banded = [u["window"] for u in breath if u["window"] and u["window"]["chance_abs_r95"]]
    return breath, banded


def test_breathing_rate_is_one_more_slow_series_with_the_chance_band() -> None:
    breath, banded = _breath_windows(paced=True, lead_s=10.0, seed=1)
    assert breath[-1]["params"] == SLOW_PARAMS.to_dict()
    # The chance band needs 5 gap-free 240 s blocks (the 20 s gesture spoils one):
    # measured 72 of 195 windows banded.
    assert len(banded) > 50
    # A shared drive, the client 10 s behind: the therapist leads (positive lag);
    # measured median 10.0-11.0 s and 62-100 % of windows above chance over seeds 1-5.
    lags = np.array([w["peak_lag_s"] for w in banded])
    assert abs(np.median(lags) - 10.0) <= 1.5, np.median(lags)
    assert np.mean([w["above_chance"] for w in banded]) >= 0.5


def test_unrelated_breathing_is_above_chance_near_the_nominal_rate() -> None:
    # Independent walks, seeds 1-10: measured 5.9 % of banded windows above chance
    # (nominal 5 %; windows overlap, so single seeds scatter 0-18 %).
    shares = [
        np.mean([w["above_chance"] for w in _breath_windows(False, 0.0, s)[1]])
        for s in range(1, 11)
    ]
    assert np.mean(shares) <= 0.10, shares


def test_a_session_without_breath_messages_has_no_breathing_series() -> None:
    stage = SyncStage(phase_at_end=False)
    series = {o.payload["series"] for m in _messages(duration_s=240.0) for o in stage.update(m)}
    assert "breathing_rate_bpm" not in series and "hr_bpm" in series
