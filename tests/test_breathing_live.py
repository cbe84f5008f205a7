"""Live breathing from ACC frames: the rate, the HF flag and movement, frame-split invariant."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np

from coregulate.acquisition._sim_acc import AccScenario, simulate_acc
from coregulate.signal.breathing_live import BreathingTracker

SCN = AccScenario(
    200.0, ((0.0, 15.0), (100.0, 7.0)), tilt_deg=0.7, movements=((170.0, 173.0),), seed=2
)


def _run(split: list[int]) -> list[dict[str, Any]]:
    """Feed the simulated samples in frames of the sizes in `split` (cycled)."""
    _, xyz = simulate_acc(SCN)
    mg = np.rint(xyz)
    tracker, out, i, k = BreathingTracker(), [], 0, 0
    while i < len(mg):
        n = split[k % len(split)]
        chunk, i, k = mg[i : i + n], i + n, k + 1
        stamp_ns = 10**12 + (i - 1) * 5_000_000  # strap clock: the chunk's last sample
        out += tracker.add(stamp_ns - 10**12 + 30_000_000, stamp_ns, chunk)
    return out


def test_updates_every_5_s_with_rate_flag_and_movement() -> None:
    updates = _run([36])
    times = [u["t_ns"] / 1e9 for u in updates]
    assert times[0] == 5.0 and set(np.diff(times)) == {5.0}
    at = {round(u["t_ns"] / 1e9): u for u in updates}
    assert at[60]["unavailable"] == {}  # one full window
    assert abs(at[95]["breathing_rate_bpm"] - 15.0) <= 1.0 and at[95]["hf_note"] is None
    assert at[95]["flags"] == {}
    slow = at[165]  # 65 s after the change to 7/min
    assert abs(slow["breathing_rate_bpm"] - 7.0) <= 1.0
    note = "breathing outside the HF band (7/min)"
    assert slow["flags"] == {"hf_power_ms2": note, "rsa_ln_ms2": note}
    assert at[175]["moving"] and not at[165]["moving"] and not at[180]["moving"]
    assert all(u["breathing_source"] == "acc" for u in updates)
    early = at[20]["unavailable"]["breathing_rate_bpm"]
    assert early == "under 30 s of accelerometer data"


def test_how_frames_are_cut_changes_nothing() -> None:
    assert _run([36]) == _run([17, 50, 3])


def test_publisher_records_acc_raw_and_replay_derives_the_same_breathing(tmp_path) -> None:
    from coregulate.acquisition.pmd_acc import encode_acc_frame
    from coregulate.acquisition.publisher import StrapPublisher
    from coregulate.acquisition.replay_source import recorded_events
    from coregulate.acquisition.source import KIND_ECG, SourceEvent
    from coregulate.recordings.simulated_file import write_simulated_session
    from test_ble_source import Recorder

    _, xyz = simulate_acc(AccScenario(90.0, ((0.0, 12.0),), tilt_deg=0.7, seed=9))
    mg = np.rint(xyz).astype(int)
    frames = [
        (
            10**9 + (k + 1) * 180_000_000 + 25_000_000,
            encode_acc_frame(
                10**12 + ((k + 1) * 36 - 1) * 5_000_000,
                [tuple(s) for s in mg[k * 36 : (k + 1) * 36]],
            ),
        )
        for k in range(len(mg) // 36)
    ]
    live = Recorder()
    publisher = StrapPublisher("client", live)
    for t_ns, frame in frames:
        publisher.handle(SourceEvent("client", t_ns, data=frame, kind=KIND_ECG))
    assert live.payloads("acc.client") == [f for _, f in frames]
    breath = live.payloads("breath.client")  # at 5, 10, ..., 90 s of session time
    assert len(breath) == 18 and abs(breath[-1]["breathing_rate_bpm"] - 12.0) <= 1.0
    # A session file holding the raw frames replays them as the strap yielded them.
    extra = [("acc.client", f, t) for t, f in frames]
    path = write_simulated_session(tmp_path / "s.sqlite", seed=2, duration_s=30, extra=extra)
    replayed = [e for e in recorded_events(path, "client") if e.kind == KIND_ECG]
    assert [(e.t_ns, e.data) for e in replayed] == frames
    again = Recorder()
    publisher = StrapPublisher("client", again)
    for event in replayed:
        publisher.handle(event)
    assert again.payloads("breath.client") == breath


def _breath(t_s: float, moving: bool, note: str | None = None) -> dict[str, Any]:
    return {
        "t_ns": int(t_s * 1e9),
        "moving": moving,
        "movement_mg": 120.0 if moving else 5.0,
        "flags": {"hf_power_ms2": note, "rsa_ln_ms2": note} if note else {},
    }


def test_moving_withholds_the_arousal_index_and_flags_hf() -> None:
    from coregulate.signal.breathing_live import apply_breathing

    payload = {"t_ns": 100 * 10**9, "state": "activated", "arousal_index": 2.1, "unavailable": {}}
    assert apply_breathing(payload, None) is payload  # no ACC: exactly as before
    assert apply_breathing(payload, _breath(80.0, True)) is payload  # too old to count
    moved = apply_breathing(payload, _breath(96.0, True))
    assert moved["state"] == "moving" and moved["arousal_index"] is None
    assert moved["unavailable"]["arousal_index"].startswith("moving (movement index 120 mg)")
    note = "breathing outside the HF band (7/min)"
    slow = apply_breathing(payload, _breath(96.0, False, note))
    assert slow["state"] == "activated" and slow["flags"]["rsa_ln_ms2"] == note
    assert payload == {
        "t_ns": 100 * 10**9,
        "state": "activated",
        "arousal_index": 2.1,
        "unavailable": {},
    }  # the input is left alone


def test_metrics_stage_marks_the_state_from_breath_messages() -> None:
    from coregulate.bus.envelope import make_message
    from coregulate.signal.person import PersonConfig
    from coregulate.stages.metrics_stage import PersonMetricsStage

    stage = PersonMetricsStage(PersonConfig(baseline_s=60.0))
    rng = np.random.default_rng(3)
    t_ns, states = 0, []
    for k in range(240):
        rr = 800.0 + rng.normal(0, 25)
        t_ns += int(rr * 1e6)
        seq = k + 1
        if k == 200:  # the person starts to move
            breath = _breath(t_ns / 1e9, True)
            stage.update(make_message("breath.client", "acq", seq, breath["t_ns"], breath))
        beats = {"t_ns": [t_ns], "rr_ms": [rr], "gap_before": False}
        for out in stage.update(make_message("beat.client", "acq", seq, t_ns, beats)):
            states.append((k, out.payload.get("state"), out.payload.get("arousal_index")))
    before = [s for k, s, _ in states if 100 <= k < 200]
    assert before and "moving" not in before and None not in before
    during = [(s, a) for k, s, a in states if 200 <= k < 205]
    assert during and all(s == "moving" and a is None for s, a in during)
    after = [s for k, s, _ in states if k >= 220]  # the update is over 10 s old
    assert after and "moving" not in after


def test_simulated_strap_with_acc_gives_breathing_and_movement_with_truth() -> None:
    from coregulate.acquisition.publisher import StrapPublisher
    from coregulate.acquisition.sim_source import SimulatedStrap
    from coregulate.acquisition.simulator import demo_config, simulate_dyad
    from coregulate.recordings.simulated_file import _ALWAYS_DUE, _events
    from test_ble_source import Recorder

    sim = simulate_dyad(demo_config(seed=1, duration_s=300.0))
    plain = _events(SimulatedStrap(sim, "client", _ALWAYS_DUE))
    strap = SimulatedStrap(sim, "client", _ALWAYS_DUE, acc=True)
    events = _events(strap)
    assert [e for e in events if e.kind != "ecg"] == plain  # ACC only adds its frames
    rec = Recorder()
    publisher = StrapPublisher("client", rec)
    for event in events:
        publisher.handle(event)
    truth = strap.acc_scenario
    assert truth is not None
    breath = [b for b in rec.payloads("breath.client") if b["breathing_rate_bpm"] is not None]
    true_bpm = truth.breathing[0][1]
    assert breath and all(abs(b["breathing_rate_bpm"] - true_bpm) <= 1.0 for b in breath)
    moving = {round(b["t_ns"] / 1e9) for b in rec.payloads("breath.client") if b["moving"]}
    # Gesture 120-130 s, lean at 210 s: every 5 s step they touch is flagged; a 1 s
    # epoch straddling a step's end counts in the next step, so one step late at most.
    assert {125, 130, 215} <= moving <= {125, 130, 135, 215, 220}
    # The window restarts after movement: a rate again 30-35 s after each episode.
    rates = {round(b["t_ns"] / 1e9): b["breathing_rate_bpm"] for b in rec.payloads("breath.client")}
    assert rates[130] is None and rates[165] is not None
    assert rates[215] is None and rates[250] is not None


def test_lost_frames_restart_the_window() -> None:
    _, xyz = simulate_acc(AccScenario(120.0, ((0.0, 12.0),), tilt_deg=0.7, seed=4))
    mg = np.rint(xyz)
    tracker, out = BreathingTracker(), []
    for k in range(len(mg) // 36):
        if 70.0 <= k * 36 / 200 < 75.0:
            continue  # 5 s of frames lost over the air
        stamp_ns = 10**12 + ((k + 1) * 36 - 1) * 5_000_000
        out += tracker.add(stamp_ns - 10**12 + 30_000_000, stamp_ns, mg[k * 36 : (k + 1) * 36])
    at = {round(u["t_ns"] / 1e9): u for u in out}
    assert at[70]["breathing_rate_bpm"] is not None
    assert at[80]["unavailable"] == {"breathing_rate_bpm": "under 30 s of accelerometer data"}
    assert abs(at[110]["breathing_rate_bpm"] - 12.0) <= 1.0


def test_simulated_strap_makes_its_acc_while_it_streams(monkeypatch: Any) -> None:
    """A simulated strap's ACC is made as the session goes, not before (issue 17, speed 100).

    Made up front, a 90 min session's ACC took about 3 s per person in the
    acquisition process while the session clock ran: the straps then started
    late and streamed a burst the sync stage had to leave out (tests/test_demo_acc.py).
    """
    from coregulate.acquisition import _sim_acc
    from coregulate.acquisition.pmd_acc import acc_frame_array
    from coregulate.acquisition.specs import SimulatedStrapSpec, make_source, prepare
    from coregulate.recordings.simulated_file import _ALWAYS_DUE

    blocks: list[int] = []
    block = _sim_acc.AccStream.block

    def counted(stream: _sim_acc.AccStream) -> tuple[np.ndarray, np.ndarray]:
        blocks.append(stream.done)
        return block(stream)

    monkeypatch.setattr(_sim_acc.AccStream, "block", counted)
    spec = SimulatedStrapSpec("client", seed=1, duration_s=5400.0, acc=True)
    prepare(spec)
    strap = make_source(spec, _ALWAYS_DUE)
    assert blocks == []  # nothing made before the session runs

    async def first_frames(n: int) -> list[bytes]:
        out = []
        async for event in strap.events():
            if event.data is not None and event.data[:1] == b"\x02" and len(out) < n:
                out.append(event.data)
            if len(out) == n:
                return out
        return out

    frames = asyncio.run(first_frames(60))
    assert blocks == [0, 1800]  # 60 frames of 36 samples: two blocks of 9 s, no more
    # The frames are the scenario's samples (simulate_acc is the same blocks joined).
    _, xyz = simulate_acc(_sim_acc.AccScenario(20.0, **_scenario_fields(strap.acc_scenario)))
    # (The strap sends ACC once it streams: the first frames may be before that.)
    first_ns, _ = acc_frame_array(frames[0])
    first = (first_ns - _sim_acc._PMD_T0_NS) // 5_000_000 - 35  # 200 Hz: 5 ms per sample
    sent = np.concatenate([acc_frame_array(f)[1] for f in frames])
    np.testing.assert_array_equal(sent, np.rint(xyz[first : first + len(sent)]))


def _scenario_fields(scn: Any) -> dict[str, Any]:
    """Return a scenario's fields except its duration."""
    from dataclasses import fields

    return {f.name: getattr(scn, f.name) for f in fields(scn) if f.name != "duration_s"}
