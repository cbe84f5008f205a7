"""PersonSignal and the metrics stage on simulated sessions: behaviour, gaps, replay."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coregulate.acquisition.simulator import (
    ArousalEpisode,
    DyadConfig,
    PersonProfile,
    simulate_dyad,
)
from coregulate.bus.envelope import make_message
from coregulate.sessionfile.access import read_messages
from coregulate.signal.baseline import ACTIVATED, HIGHLY_ACTIVATED, SETTLED, BaselineProfile
from coregulate.signal.hrv import band_powers_ms2, rmssd_ms, sdnn_ms
from coregulate.signal.person import (
    PersonConfig,
    PersonSignal,
    is_no_signal,
    metrics_at_every_beat,
    replay_notifications,
)
from coregulate.stages.metrics_stage import PersonMetricsStage
from signal_support import beat_payloads, stage_feeder

S = 1_000_000_000


def _session(profile: PersonProfile, duration_s: float, seed: int) -> list:
    sim = simulate_dyad(DyadConfig(client=profile, duration_s=duration_s, seed=seed))
    return replay_notifications(beat_payloads(sim))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_stable_person_stays_settled(seed: int) -> None:
    profile = PersonProfile(resting_hr_bpm=60.0 + 5 * seed, rmssd_ms=25.0 + 10 * seed)
    metrics = _session(profile, 1800.0, seed)
    states = [m.state for m in metrics if m.state is not None]
    # After the 3-min baseline, about 1600 updates carry a state.
    assert len(states) > 1400
    assert states.count(SETTLED) / len(states) >= 0.95
    assert metrics[-1].baseline["status"] == "ready"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_arousal_episodes_activate_and_release(seed: int) -> None:
    # Stated delays (docs/metrics.md): "activated" or higher within 65 s of an
    # episode's start (20 s ramp, half of the 60 s lnRMSSD window, 15 s dwell); back
    # to "settled" within 90 s of its end (60 s lnRMSSD window, 15 s dwell).
    # Measured on seeds 0-5: 22-48 s (+15 bpm, RSA x 0.5) and 35-57 s (+10 bpm, x 0.6).
    # Was <= 45 s (ramp + 10 s HR window + dwell) with floors 3 bpm / 0.15 (17-33 s):
    # with the real-data floors (5 bpm / 0.2, issue 13) a +10 bpm rise alone is
    # A = 1.0, below 1.5, and the state turns once lnRMSSD has fallen too.
    episodes = (
        ArousalEpisode(400.0, 120.0),
        ArousalEpisode(900.0, 90.0, hr_increase_bpm=10.0, rmssd_factor=0.6),
    )
    metrics = _session(PersonProfile(episodes=episodes), 1300.0, seed)
    for ep in episodes:
        start, end = ep.start_s * S, (ep.start_s + ep.duration_s) * S
        during = [m for m in metrics if start <= m.t_ns < end]
        first_active = next(m.t_ns for m in during if m.state in (ACTIVATED, HIGHLY_ACTIVATED))
        assert first_active - start <= 65 * S
        after = [m for m in metrics if m.t_ns >= end]
        back = next(m.t_ns for m in after if m.state == SETTLED)
        assert back - end <= 90 * S
        assert all(m.state != SETTLED for m in during if first_active <= m.t_ns < end - 20 * S)


def test_injected_artifacts_are_corrected_not_shown() -> None:
    clean = _session(PersonProfile(), 900.0, 6)
    dirty = _session(PersonProfile(ectopic_rate=0.02, missed_rate=0.01, extra_rate=0.01), 900.0, 6)
    assert max(m.artifact_share for m in clean[100:]) <= 0.05
    pairs = [
        (c.rmssd_ms, d.rmssd_ms)
        for c, d in zip(clean[100:], dirty[100:], strict=False)
        if c.rmssd_ms and d.rmssd_ms
    ]
    ratio = np.array([d / c for c, d in pairs])
    # Uncorrected, one ectopic pair per minute roughly doubles RMSSD; corrected, the
    # same windows stay within 15 % for nine updates in ten.
    assert np.mean(np.abs(ratio - 1) < 0.15) >= 0.9
    assert sum(sum(m.beats["kind"].count(k) for k in ("ectopic", "longshort")) for m in dirty) > 0


def test_window_values_equal_the_kernels_on_the_same_beats() -> None:
    truth = simulate_dyad(DyadConfig(duration_s=400.0, seed=8)).truth["client"]
    t, rr = truth.t_ns, truth.rr_ms
    cfg = PersonConfig(spectral_step_s=0.0)
    m = metrics_at_every_beat(t, rr, config=cfg)[-1]
    # The last update's windows end at the third newest beat (two-beat look-ahead).
    now = t[-3]
    assert m.t_ns == now
    sel = (t > now - 60 * S) & (t <= now)
    assert m.n_beats == sel.sum() and m.artifact_share == 0.0
    assert m.rmssd_ms == pytest.approx(rmssd_ms(rr[sel]), rel=1e-12)
    assert m.sdnn_ms == pytest.approx(sdnn_ms(rr[sel]), rel=1e-12)
    assert m.ln_rmssd == pytest.approx(math.log(m.rmssd_ms), rel=1e-12)
    hr_sel = (t > now - 10 * S) & (t <= now)
    assert m.hr_bpm == pytest.approx(60000 / rr[hr_sel].mean(), rel=1e-12)
    sp = (t > now - cfg.spectral_window_s * S) & (t <= now)
    lf, hf = band_powers_ms2((t[sp] - t[sp][0]) / 1e9, rr[sp])
    assert (m.lf_power_ms2, m.hf_power_ms2) == (lf, hf)
    assert m.ln_hf == pytest.approx(math.log(hf))


def test_no_window_spans_a_gap() -> None:
    profile = PersonProfile(disconnections=((300.0, 20.0),))
    metrics = _session(profile, 600.0, 9)
    after = [m for m in metrics if 321 * S < m.t_ns < 400 * S]
    assert after, "beats resume after the disconnection"
    # The spectrum needs 216 s of contiguous beats (0.9 x 240 s): unavailable, with the reason.
    assert all(m.hf_power_ms2 is None for m in after)
    assert "contiguous" in after[0].unavailable["hf_power_ms2"]
    assert any(m.hf_power_ms2 is not None for m in metrics if m.t_ns > 540 * S)
    # While the 60 s window still holds beats from both sides, no difference joins them.
    spanning = [m for m in after if m.t_ns < 355 * S]
    assert spanning and all(m.n_diffs <= m.n_beats - 2 for m in spanning)


def test_a_mostly_repaired_window_is_not_available() -> None:
    person = PersonSignal(PersonConfig(max_artifact_share=0.05))
    rng = np.random.default_rng(1)
    t = 0
    m = None
    for i in range(200):
        rr = 800.0 + rng.normal(0, 10)
        if i >= 100 and i % 10 == 0:
            rr *= 2.0  # every tenth beat a missed detection: 10 % of the window
        t += int(rr * 1e6)
        m = person.update([t], [rr], gap_before=(i == 0))
    assert m is not None and m.rmssd_ms is None and m.sdnn_ms is None
    assert "were corrected" in m.unavailable["rmssd_ms"]
    assert m.artifacts["missed"] > 0


def test_the_stage_retakes_a_baseline_and_takes_a_profile() -> None:
    sim = simulate_dyad(DyadConfig(duration_s=500.0, seed=3))
    payloads = beat_payloads(sim)
    stage = PersonMetricsStage(PersonConfig(baseline_s=60.0))
    feed = stage_feeder(stage)

    last = [feed(p) for p in payloads[:200]][-1]
    assert last["baseline"]["status"] == "ready" and last["state"] is not None
    retake = {"action": "retake", "role": "client", "duration_s": 90}
    stage.update(make_message("control.baseline", "ui", 1, 0, retake))
    after = feed(payloads[200])
    assert after["baseline"]["status"] == "collecting" and after["state"] is None
    assert after["baseline"]["end_t_ns"] - after["baseline"]["start_t_ns"] == 90 * S
    profile = BaselineProfile(70.0, 3.0, 3.5, 0.2, 50, 180.0).to_json()
    stage.update(
        make_message("control.baseline", "ui", 2, 0, {"action": "profile", "profile": profile})
    )
    after = feed(payloads[201])
    assert after["baseline"]["status"] == "profile" and after["arousal_index"] is not None


def test_the_stage_ignores_bad_control_messages(caplog: pytest.LogCaptureFixture) -> None:
    stage = PersonMetricsStage()
    stage.person("client")
    for body in ({"action": "dance"}, {"action": "profile", "profile": {"x": 1}}, b"\x00"):
        assert stage.update(make_message("control.baseline", "ui", 1, 0, body)) == []
    assert caplog.text.count("ignored a control.baseline message") == 3


def test_payload_is_json_without_nan() -> None:
    m = _session(PersonProfile(), 300.0, 4)
    for metrics in (m[0], m[-1]):
        text = json.dumps(metrics.to_dict(), allow_nan=False)
        assert '"hr_bpm"' in text


def test_replay_of_a_recorded_session_equals_what_was_published(tmp_path: Path) -> None:
    # A real session (hub, straps, signal stage in their own processes); then the
    # recorded beats replayed offline through the same class give byte-identical
    # metrics payloads. The "no signal" updates come from the other person's beats
    # (the client's strap drops for 20 s at 0.85 of the session): they sit in the gap.
    out = tmp_path / "s.sqlite"
    args = ["demo", "--headless", "--duration", "420", "--speed", "60", "--seed", "2"]
    run = subprocess.run(
        [sys.executable, "-m", "coregulate.cli", *args, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    for role in ("client", "therapist"):
        beats = sorted((m for m in read_messages(out, (f"beat.{role}",))), key=lambda m: m.seq)
        live = sorted((m for m in read_messages(out, (f"metrics.{role}",))), key=lambda m: m.seq)
        replayed = replay_notifications(m.json() for m in beats)
        silent = [m.json() for m in live if is_no_signal(m.json())]
        live = [m for m in live if not is_no_signal(m.json())]
        if role == "client":
            assert len(silent) >= 3
            _assert_no_signal_was_true_when_said(out, role)
        assert len(live) == len(replayed) > 300
        for published, again in zip(live, replayed, strict=True):
            assert published.json() == json.loads(json.dumps(again.to_dict()))


def _assert_no_signal_was_true_when_said(path: Path, role: str) -> None:
    """Each "no signal" message names the last beat the hub had recorded before it, and no
    beat recorded before it lies between that beat and its own time.

    In hub order, not over the whole file: at --speed 60 a strap process that a loaded
    machine holds back 83 ms is 5 s of session time late, so beats stamped inside the gap
    can reach the hub after the "no signal" was (truthfully) said; replay reproduces that
    order, which is what the byte-identity check above relies on.
    """
    seen: list[int] = []
    said = 0
    for m in read_messages(path, (f"beat.{role}", f"metrics.{role}")):
        body = m.json()
        if m.topic.startswith("beat."):
            seen.extend(body["t_ns"])
            continue
        if not is_no_signal(body):
            continue
        said += 1
        beat_t = np.array(seen)
        last = body["no_signal_since_ns"]
        assert last in beat_t and not ((beat_t > last) & (beat_t <= body["t_ns"])).any()
        assert body["state"] is None and body["hr_bpm"] is None
        assert body["unavailable"]["state"].startswith("no signal since ")
    assert said >= 3


_RR = st.one_of(
    st.floats(min_value=-10.0, max_value=70000.0),
    st.sampled_from([0.0, 199.9, 200.0, 800.0, 810.0, 3000.0, 64_000.0, math.nan, math.inf]),
    st.floats(min_value=600.0, max_value=1000.0),
)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(_RR, max_size=4), st.booleans(), st.integers(-2, 3)),
        max_size=300,
    )
)
def test_no_beat_sequence_makes_the_person_raise(notes: list) -> None:
    # Any intervals (zero, negative, NaN, 64 s), gaps and times that stall or go back
    # give a JSON-clean payload; implausible intervals are listed as rejected.
    person = PersonSignal(PersonConfig(spectral_step_s=0.0, baseline_s=20.0))
    t = 0
    for rrs, gap, jitter in notes:
        times = []
        for rr in rrs:
            step = rr if math.isfinite(rr) else 800.0
            t += int(step * 1e6) + jitter
            times.append(t)
        m = person.update(times, rrs, gap)
        json.dumps(m.to_dict(), allow_nan=False)
        bad = [r for r in rrs if not (math.isfinite(r) and 200.0 <= r <= 3000.0)]
        assert len(m.beats["rejected"]) >= len(bad)


def test_demo_session_times_advance_and_the_indicator_stays_shown() -> None:
    from coregulate.acquisition.simulator import demo_config

    metrics = replay_notifications(beat_payloads(simulate_dyad(demo_config(1, 900.0))))
    times = [m.t_ns for m in metrics]
    assert np.all(np.diff(times) >= 0)
    # After the baseline, contact loss, a disconnection and ectopic beats never leave
    # the person without HR or a state for long (a single ectopic pair is no reason).
    after = [m for m in metrics if m.t_ns > 200 * S]
    assert sum(m.hr_bpm is None for m in after) == 0
    assert sum(m.state is None for m in after) <= 0.02 * len(after)


def test_final_classes_are_the_series_classes_and_windows_trail_by_two_beats() -> None:
    # One artifact decision per beat (issue 13): the payload's `beats` carry each
    # beat's final class (45-beat look-ahead, NeuroKit2's centred windows) exactly
    # once, equal to classify_series on the whole recording; the windows still end
    # two beats behind the newest beat (provisional classes for the newest beats).
    from coregulate.signal.artifacts import KIND_NAMES, LOOKAHEAD_BEATS, classify_series

    rates = {"ectopic_rate": 0.02, "missed_rate": 0.01, "extra_rate": 0.01}
    cfg = DyadConfig(client=PersonProfile(**rates), duration_s=300.0, seed=3)
    truth = simulate_dyad(cfg).truth["client"]
    t, rr = truth.t_ns, truth.rr_ms
    metrics = metrics_at_every_beat(t, rr)
    assert [m.t_ns for m in metrics[2:]] == [int(x) for x in t[:-2]]
    final = [k for m in metrics for k in m.beats["kind"]]
    assert len(final) == rr.size - LOOKAHEAD_BEATS  # the last 45 wait for later beats
    kind, nn = classify_series(t, rr)
    assert final == [KIND_NAMES[k] for k in kind[: len(final)]]
    assert sum(k != "normal" for k in final) >= 10  # the check has artifacts to agree on
    got_nn = [v for m in metrics for v in m.beats["nn_ms"]]
    np.testing.assert_array_equal(
        np.array([np.nan if v is None else v for v in got_nn]), nn[: len(final)]
    )
