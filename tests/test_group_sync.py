"""Synchrony of every pair and the group (issue 19): references, calibration, the stage.

Reference for the group index: multiSyncPy 0.1.2 (`multiSyncPy.synchrony_metrics.rho`,
Richardson et al. 2012's cluster-phase rho; the package is in the `[test]` extra).
Fixtures: tests/group_support.py (four people from two simulated dyads).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from coregulate.signal.dyad import ROLES
from coregulate.signal.people import SYNC_GROUP_TOPIC, pairs
from coregulate.signal.synchrony.grid import beat_events
from coregulate.signal.synchrony.group import (
    GROUP_PARAMS,
    band_gain,
    band_phasors,
    band_phasors_rows,
    cluster_phase_rho,
    rho_of_phases,
)
from coregulate.signal.synchrony.group_offline import (
    group_from_grids,
    group_synchrony,
    pairs_offline,
)
from coregulate.signal.synchrony.group_track import GroupChance, GroupTrack
from coregulate.signal.synchrony.params import HR_PARAMS
from coregulate.stages.sync_stage import SyncStage
from group_support import KEYS4, beat_messages, four_people

GROUP_KEYS = {
    "t_ns",
    "index",
    "value",
    "window_s",
    "chance_95",
    "above_chance",
    "people",
    "n_coupled_pairs_above_chance",
}


# --- the index against its reference ------------------------------------------------


def test_rho_equals_multisyncpy_on_the_same_phases() -> None:
    """Reference: multiSyncPy.synchrony_metrics.rho (0.1.2) on the same phases, |Δ| ≤ 1e-12."""
    sm = pytest.importorskip("multiSyncPy.synchrony_metrics")
    rng = np.random.default_rng(19)
    t = np.arange(600) / 4.0
    common = 2 * np.pi * 0.05 * t + np.cumsum(rng.normal(0, 0.05, t.size))
    cases = [
        rng.uniform(-np.pi, np.pi, (4, 600)),  # unrelated
        common + rng.normal(0, 0.4, (5, 600)) + rng.uniform(-3, 3, (5, 1)),  # locked, offsets
        np.vstack([common + 1.0, common - 0.5, rng.uniform(-np.pi, np.pi, (1, 600))]),
    ]
    for phases in cases:
        ref_t, ref = sm.rho(phases)
        ours_t, ours = rho_of_phases(phases)
        np.testing.assert_allclose(ours_t, ref_t, rtol=0, atol=1e-12)
        assert abs(ours - ref) <= 1e-12
    # A constant phase offset per person is synchrony for rho (not for Kuramoto's R).
    assert rho_of_phases(cases[1])[1] > 0.9 > 0.5 > rho_of_phases(cases[0])[1]


def test_window_phase_equals_filtfilt_hilbert_away_from_the_edges() -> None:
    """Our FFT band-pass + analytic signal against scipy's sosfiltfilt + hilbert."""
    from scipy import signal as sp_signal

    fs, n, edge = 1.0, 180, 20
    rng = np.random.default_rng(3)
    t = np.arange(n) / fs
    x = 70 + 3 * np.sin(2 * np.pi * 0.05 * t + 0.3) + rng.normal(0, 0.3, n) + 0.01 * t
    ours = np.angle(band_phasors(x[None, :], band_gain(n, fs, GROUP_PARAMS.band_hz), edge)[0])
    sos = sp_signal.butter(2, GROUP_PARAMS.band_hz, btype="bandpass", fs=fs, output="sos")
    ref = np.angle(sp_signal.hilbert(sp_signal.sosfiltfilt(sos, x - x.mean())))[edge:-edge]
    diff = np.angle(np.exp(1j * (ours - ref)))
    assert np.median(np.abs(diff)) < 0.1  # radians; the two differ only at the ends


def test_band_gain_equals_scipys_butterworth_forward_and_backward() -> None:
    """Reference: scipy.signal.butter(2, band) response squared (what sosfiltfilt applies)."""
    from scipy import signal as sp_signal

    for n, fs, band in ((180, 1.0, (0.02, 0.1)), (720, 4.0, (0.04, 0.15)), (181, 1.0, (0.02, 0.1))):
        gain = band_gain(n, fs, band)
        freqs = np.fft.fftfreq(n, 1 / fs)
        positive = (freqs > 0) & (freqs < fs / 2)
        sos = sp_signal.butter(2, band, btype="bandpass", fs=fs, output="sos")
        _, h = sp_signal.sosfreqz(sos, worN=freqs[positive], fs=fs)
        np.testing.assert_allclose(gain[positive], 2 * np.abs(h) ** 2, rtol=0, atol=1e-12)
        assert not gain[~positive].any()


def test_pseudo_windows_broadcast_like_single_windows() -> None:
    rng = np.random.default_rng(5)
    phasors = np.exp(1j * rng.uniform(-np.pi, np.pi, (3, 4, 50)))
    _, batch = cluster_phase_rho(phasors)
    for i in range(3):
        assert abs(batch[i] - cluster_phase_rho(phasors[i])[1]) <= 1e-15


# --- calibration against chance -------------------------------------------------------


def _independent_people(rng: np.random.Generator, n_people: int, n: int) -> np.ndarray:
    """Heart rates at 4 Hz: each a slow AR(1) (8 s), a wandering 0.1 Hz wave and noise."""
    a = np.exp(-1 / 32.0)
    out = np.empty((n_people, n))
    t = np.arange(n) / 4.0
    for k in range(n_people):
        from scipy.signal import lfilter

        slow = lfilter([np.sqrt(1 - a * a)], [1, -a], rng.standard_normal(n))
        wave = np.sin(2 * np.pi * 0.1 * t + np.cumsum(rng.normal(0, 0.05, n)))
        out[k] = 70 + 3 * slow + 1.5 * wave + rng.normal(0, 0.5, n)
    return out


def test_group_chance_band_false_positive_rate_near_nominal() -> None:
    """Four unrelated people, 1 h, six seeds: share of windows above the band ≈ 5 %.

    Measured: 7.5 % pooled over seeds 0-5 (per session 0.4-14 %: sliding windows
    are strongly dependent, so one session's share scatters).
    """
    banded = above = 0
    for seed in range(6):
        x = _independent_people(np.random.default_rng(seed), 4, 4 * 3600)
        summary = GroupTrack(HR_PARAMS, GROUP_PARAMS, KEYS4).extend(x)[-1]["summary"]
        banded += summary["n_banded"]
        above += round(summary["share_above_chance"] * summary["n_banded"])
    assert banded > 6 * 2600  # the band needs 5 blocks (15 min) first
    assert 0.01 <= above / banded <= 0.10


def test_group_session_verdict_false_positive_rate_near_nominal() -> None:
    """Unrelated people, 60 sessions of 12 blocks: the session verdict p < 0.05 ≈ 5 %.

    Circular shifts of each person's blocks (`GroupChance.session`). Measured: 7 of
    100 seeds (0-99); here seeds 0-59.
    """
    gain = band_gain(180, 1.0, GROUP_PARAMS.band_hz)
    verdicts = []
    for seed in range(60):
        x = _independent_people(np.random.default_rng(seed), 4, 4 * 180 * 12)
        per_second = x.reshape(4, -1, 4).mean(axis=-1)
        chance = GroupChance(GROUP_PARAMS, 4, 180, 140)
        for b in range(12):
            chance.add(*band_phasors_rows(per_second[:, b * 180 : (b + 1) * 180], gain, 20))
        verdicts.append(chance.session((0, 1, 2, 3), 0.05)["above_chance"])
    assert None not in verdicts
    assert sum(verdicts) <= 6  # 10 %: nominal 5 %, 60 sessions


# --- the four-person session (issue 19's done-when) ----------------------------------


# --- the stage: dyad unchanged, groups on their topics, live equals offline ----------


def test_stage_people_option_keeps_the_dyad_exactly() -> None:
    beats = four_people(4, 0.8, 0.0, duration_s=300.0)
    dyad = {"client": beats["client"], "therapist": beats["therapist"]}
    msgs = beat_messages(dyad)
    default, explicit = SyncStage(), SyncStage(people=ROLES)
    a = [o for m in msgs for o in default.update(m)] + default.terminate()
    b = [o for m in msgs for o in explicit.update(m)] + explicit.terminate()
    assert a and [(o.topic, o.payload, o.t_ns) for o in a] == [
        (o.topic, o.payload, o.t_ns) for o in b
    ]
    assert {o.topic for o in a} == {"sync"}
    assert all("pair" not in o.payload for o in a)


def _strip(payload: dict) -> dict:
    return {k: v for k, v in payload.items() if k not in ("final", "late_values", "pair")}


def test_group_goes_on_without_a_person_who_has_no_heart_rate() -> None:
    """A strap that never connects: the group is the other three, with band and verdict."""
    beats = four_people(7, 0.8, 0.8, duration_s=1800.0)
    beats["partner"] = tuple(a[:0] for a in beats["partner"])
    result = group_synchrony(beats, updates=True)
    updates = result["group"]["updates"]
    available = [u for u in updates if u["value"] is not None]
    assert len(available) > 1000
    assert all(u["people_in_window"] == ["client", "therapist", "co-therapist"] for u in available)
    assert any(u["above_chance"] is not None for u in available)
    assert updates[-1]["session"]["above_chance"] is not None
    partner_pairs = [p for p in result["pairs"] if "partner" in (p["a"], p["b"])]
    assert all(p["final"]["summary"] is None for p in partner_pairs)


def _drop(beats: tuple, start_s: float, stop_s: float) -> tuple:
    """Return beats without those in [start_s, stop_s) (a disconnection: gap_before after)."""
    t_ns, rr_ms, gap = beats
    keep = (t_ns < start_s * 1e9) | (t_ns >= stop_s * 1e9)
    gap = gap.copy()
    after = np.flatnonzero(t_ns >= stop_s * 1e9)
    if after.size:
        gap[after[0]] = True
    return t_ns[keep], rr_ms[keep], gap[keep]


def test_four_person_stage_publishes_pairs_and_group_equal_to_offline() -> None:
    beats = four_people(5, 0.8, 0.8, duration_s=1500.0)
    beats["partner"] = _drop(beats["partner"], 400.0, 460.0)  # a minute without a strap
    stage = SyncStage(people=KEYS4, phase_at_end=False)
    outputs = [o for m in beat_messages(beats) for o in stage.update(m)] + stage.terminate()
    by_topic: dict[str, list[dict]] = {}
    for o in outputs:
        by_topic.setdefault(o.topic, []).append(o.payload)
    pair_topics = {f"sync.{a}.{b}" for a, b in pairs(KEYS4)}
    assert set(by_topic) == pair_topics | {SYNC_GROUP_TOPIC}
    offline = group_synchrony(beats, updates=True)
    for entry in offline["pairs"]:
        live = [p for p in by_topic[f"sync.{entry['a']}.{entry['b']}"] if p["series"] == "hr_bpm"]
        assert all(p["pair"] == [entry["a"], entry["b"]] and p["late_values"] == 0 for p in live)
        assert [_strip(p) for p in live] == entry["updates"]
    live_group = by_topic[SYNC_GROUP_TOPIC]
    assert [_strip(p) for p in live_group] == offline["group"]["updates"]
    last = live_group[-1]
    assert set(last) >= GROUP_KEYS and last["people"] == list(KEYS4)
    assert last["index"] == "cluster_phase_rho" and last["window_s"] == 180.0
    assert any(p["above_chance"] is not None for p in live_group)
    assert max(p["n_coupled_pairs_above_chance"] for p in live_group) >= 1
    # What analyze reports: the session's value and verdict, from the same updates.
    summary = offline["group"]["summary"]
    assert summary["value"] == last["summary"]["mean_value"]
    assert summary["above_chance"] is last["session"]["above_chance"] is True
    assert summary["n_coupled_pairs_above_chance"] == last["n_coupled_pairs_above_chance"]
    # From a caller's grids (e.g. pair reports' arrays): the same updates.
    report = pairs_offline(
        {k: beat_events(*b) for k, b in beats.items()}, HR_PARAMS, _end(beats), group=None
    )
    grids = {}
    for (a, b), rep in report.pairs.items():
        grids.setdefault(a, rep.client)
        grids.setdefault(b, rep.therapist)
    pair_updates = {pair: rep.updates for pair, rep in report.pairs.items()}
    grids = {k: grids[k] for k in KEYS4}
    assert group_from_grids(grids, pair_updates=pair_updates) == offline["group"]["updates"]


def _end(beats: dict) -> int:
    return max(int(b[0][-1]) for b in beats.values())


def test_sync_command_recomputes_a_three_person_file(tmp_path, capsys) -> None:
    """`coregulate sync FILE` on a 3-person file: every pair's topic and the group, as live.

    The file holds beats only (no stage ran on it), so as live the signal stage's
    metrics follow each beat message into the sync stage (recordings/stage_replay.py).
    """
    from coregulate.bus.envelope import make_message
    from coregulate.cli import main
    from coregulate.recordings.writer import SessionWriter
    from coregulate.signal.people import demo_people, people_meta
    from coregulate.stages.registry import stage_spec

    beats = four_people(6, 0.8, 0.0, duration_s=900.0)
    del beats["co-therapist"]
    keys = ("client", "partner", "therapist")
    stage = SyncStage(people=keys)
    signal = stage_spec("signal").make("signal", people=keys)
    path = tmp_path / "group.coregulate"
    with SessionWriter(path, "acq") as writer:  # beats in time order, as the hub writes
        writer.send("session", {"mode": "test", **people_meta(demo_people(3))}, 0)
        for msg in beat_messages(beats):
            writer.send(msg.topic, msg.json(), msg.t_ns)
    live, seqs = [], {}
    for m in beat_messages(beats):  # the bus: a beat, then the metrics it made
        live += stage.update(m)
        for out in signal.update(m):
            seqs[out.topic] = seqs.get(out.topic, 0) + 1
            live += stage.update(
                make_message(out.topic, "signal", seqs[out.topic], out.t_ns, out.payload)
            )
    live += stage.terminate()
    out_json = tmp_path / "sync.json"
    assert main(["sync", str(path), "--json", str(out_json)]) == 0
    text = capsys.readouterr().out
    assert "hr_bpm client-therapist:" in text and "positive = therapist leads" in text
    assert "hr_bpm client-partner:" in text and "positive = partner leads" in text
    assert "group (cluster_phase_rho, 180 s windows, client, partner, therapist)" in text
    payloads = json.loads(out_json.read_text())
    assert payloads == [o.payload for o in live]
    # Heart rate comes from the beats alone: the same as a stage that took nothing else.
    beats_only = SyncStage(people=keys)
    hr = [o.payload for m in beat_messages(beats) for o in beats_only.update(m)]
    hr += [o.payload for o in beats_only.terminate()]
    assert [p for p in payloads if p.get("series") == "hr_bpm"] == [
        p for p in hr if p.get("series") == "hr_bpm"
    ]
    assert {tuple(p["pair"]) for p in payloads if "pair" in p} == set(pairs(keys))
    assert any(p.get("index") == "cluster_phase_rho" for p in payloads)


def test_a_group_session_ends_with_a_final_group_message_equal_to_analyze(tmp_path) -> None:
    """As the dyad's `sync` ends with a final message per series, `sync.group` ends with
    one whose `session_summary` is what `coregulate analyze` says of the whole session."""
    from coregulate.recordings.analysis import analyze_files
    from coregulate.recordings.writer import SessionWriter
    from coregulate.signal.people import demo_people, people_meta

    # 25 min without gaps: eight blocks of 180 s, so the session has a verdict.
    beats = four_people(5, 0.8, 0.8, duration_s=1500.0)
    path = tmp_path / "four.coregulate"
    with SessionWriter(path, "acq") as writer:  # beats in time order, as the hub writes
        writer.send("session", {"mode": "test", **people_meta(demo_people(4))}, 0)
        for msg in beat_messages(beats):
            writer.send(msg.topic, msg.json(), msg.t_ns)
    stage = SyncStage(people=KEYS4)  # as the live stage: what it publishes at the end
    outputs = [o for m in beat_messages(beats) for o in stage.update(m)] + stage.terminate()
    group = [o.payload for o in outputs if o.topic == SYNC_GROUP_TOPIC]
    final = group[-1]
    assert final["final"] is True and not any(g["final"] for g in group[:-1])
    # The last step repeated, as the dyad's final message repeats its last step.
    assert {k: v for k, v in final.items() if k not in ("final", "session_summary")} == {
        k: v for k, v in group[-2].items() if k != "final"
    }
    analysis = json.loads(json.dumps(analyze_files(path).summary()))
    assert analysis["group"]["above_chance"] is True, analysis["group"]  # a verdict too
    assert json.loads(json.dumps(final["session_summary"])) == analysis["group"]
    # Each pair's final message is there as before (the dyad's rule for every pair).
    finals = {o.topic for o in outputs if o.payload["final"] and o.payload["series"] == "hr_bpm"}
    assert finals == {f"sync.{a}.{b}" for a, b in pairs(KEYS4)} | {SYNC_GROUP_TOPIC}
