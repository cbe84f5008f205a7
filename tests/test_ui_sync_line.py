"""The calm synchrony line: a 2-minute summary every 30 s that never overclaims (issue 14, 4)."""

from __future__ import annotations

import logging
import math

import numpy as np
import pytest

from coregulate.bus.envelope import make_message
from coregulate.ui.model import SessionModel
from coregulate.ui.sync_line import (
    NO_LEAD,
    UPDATE_S,
    step_start,
    summarise,
    word_changes_per_minute,
)

NS = 1_000_000_000
log = logging.getLogger(__name__)


def _window(t_s: float, r: float, lag_s: float, chance: float | None = None, above=None) -> dict:
    window = {
        "start_ns": int((t_s - 30) * NS),
        "end_ns": int(t_s * NS),
        "peak_r": r,
        "peak_z": math.atanh(max(-0.999, min(r, 0.999))),
        "peak_lag_s": lag_s,
        "r_lag0": r,
        "leader": "therapist" if lag_s > 0.5 else "client" if lag_s < -0.5 else "simultaneous",
    }
    if chance is not None:
        window["chance_abs_r95"] = chance
        window["above_chance"] = above if above is not None else abs(r) > chance
    return window


def _model(windows: list[tuple[float, dict]], susy_above: bool | None = True) -> SessionModel:
    model = SessionModel()
    susy = None if susy_above is None else {"above_chance": susy_above, "p_above_chance": 0.01}
    for seq, (t_s, window) in enumerate(windows, start=1):
        body = {"series": "hr_bpm", "t_ns": int(t_s * NS), "window": window, "susy": susy}
        model.ingest(make_message("sync", "sync", seq, int(t_s * NS), body))
    return model


def _line(model: SessionModel, now_s: float):
    sync = model.sync["hr_bpm"]
    buf = sync.windows
    cols = [buf.column(c) for c in ("peak_r", "peak_lag_s", "chance_abs_r95", "above_chance")]
    return summarise(buf.t_s, *cols, step_start(now_s), sync.latest)


def _steady(r: float, lag_s: float, seconds: int = 300, **kw) -> list[tuple[float, dict]]:
    return [(float(t), _window(float(t), r, lag_s, **kw)) for t in range(31, 31 + seconds)]


def test_a_steady_positive_lead_above_chance_is_named() -> None:
    # The rule can say "leads": a test that only ever saw "no clear lead" could not fail.
    line = _line(_model(_steady(0.6, 2.0, chance=0.35)), 300.0)
    assert line.leader == "therapist"
    assert "therapist leads by ~2.0 s" in line.text
    assert "r +0.60" in line.text


@pytest.mark.parametrize("r", [-0.6, -0.2])
def test_never_a_leader_for_a_negative_correlation(r) -> None:
    for lag in (-3.0, 2.0):
        line = _line(_model(_steady(r, lag)), 300.0)
        assert line.leader is None and NO_LEAD in line.text
        assert "leads" not in line.text


def test_never_a_leader_while_the_session_is_not_above_chance() -> None:
    line = _line(_model(_steady(0.7, 2.0), susy_above=False), 300.0)
    assert line.leader is None
    assert line.text.endswith(f"{NO_LEAD} · not above chance")
    assert "not above chance so far" in line.tip


def test_windows_below_their_chance_band_are_no_evidence() -> None:
    # r 0.3 looks like a lead, but 0.3 is what unrelated stretches give (band 0.45).
    line = _line(_model(_steady(0.3, 2.0, chance=0.45)), 300.0)
    assert line.leader is None and "(chance level)" in line.text
    # Marked "not above chance" by the stage: no evidence either, whatever r is.
    line = _line(_model(_steady(0.7, 2.0, chance=0.45, above=False)), 300.0)
    assert line.leader is None


def test_a_mixed_stretch_names_no_leader() -> None:
    rng = np.random.default_rng(3)
    windows = [
        (float(t), _window(float(t), 0.5, float(rng.choice([-2.0, 2.0])))) for t in range(31, 331)
    ]
    assert _line(_model(windows), 300.0).leader is None


def test_too_little_data_says_so() -> None:
    line = _line(_model(_steady(0.6, 2.0, seconds=40)), 60.0)
    assert line.leader is None and "gathering" in line.text


def test_the_line_changes_only_at_each_30_s_step() -> None:
    assert step_start(59.9) == 30.0 and step_start(60.0) == 60.0 == 2 * UPDATE_S
    model = _model(_steady(0.6, 2.0, seconds=400))
    assert _line(model, 300.0) == _line(model, 329.0)


def test_leader_word_flicker_is_measured_and_bounded() -> None:
    """20 simulated minutes whose per-window leader wanders (as issue 14 saw: 7-9 a minute).

    Sampled every second of session time as the window redraws, the calm line's
    leader word may change at most once a minute on average, at most twice in any
    minute (it is recomputed every 30 s), against the windows' own several a minute.
    """
    rng = np.random.default_rng(14)
    windows = []
    for t in range(31, 31 + 20 * 60):
        # A true lead that drifts from therapist to client over the session, plus noise.
        lag = float(np.clip(round(2.5 * math.sin(t / 300) + rng.normal(0, 1.2), 1), -5, 5))
        r = float(np.clip(0.45 + 0.25 * math.sin(t / 170) + rng.normal(0, 0.15), -1, 1))
        windows.append((float(t), _window(float(t), r, lag, chance=0.3)))
    model = _model(windows)
    times = np.arange(60.0, 31 + 20 * 60, 1.0)
    raw = [w["leader"] for t, w in windows if t >= times[0]]
    raw_rate = word_changes_per_minute(np.array([t for t, _ in windows if t >= times[0]]), raw)
    line_words = [_line(model, float(t)).leader for t in times]
    line_rate = word_changes_per_minute(times, line_words)
    per_minute = [
        word_changes_per_minute(times[i : i + 61], line_words[i : i + 61])
        for i in range(0, len(line_words) - 60, 60)
    ]
    log.info("leader changes per minute: windows %.1f, calm line %.2f", raw_rate, line_rate)
    assert raw_rate >= 5  # the input really flickers
    assert line_rate <= 1.0
    assert max(per_minute) <= 2
    assert {"therapist", "client"} <= set(line_words)  # and the drift is still seen
    # Every named leader is backed by positive r: none for negative windows.
    for t, word in zip(times, line_words, strict=True):
        if word in ("therapist", "client"):
            assert "r +" in _line(model, float(t)).text


def test_calm_view_shows_the_summary_and_nothing_while_someone_is_missing(qtbot) -> None:
    pytest.importorskip("pytestqt")
    from coregulate.ui.calm_view import CalmView

    model = _model(_steady(0.6, 2.0, chance=0.35))
    view = CalmView(model)
    qtbot.addWidget(view)
    model.now_s = 300.0
    view.redraw()
    assert "therapist leads by ~2.0 s" in view.sync_text.text()
    view.panels["client"].no_signal = True
    view.sync_strip.redraw(model.sync["hr_bpm"], 300.0, ["Client"], 0.0)
    assert view.sync_text.text() == ""


@pytest.mark.parametrize("given", [True, False])
def test_full_view_draws_the_chance_band_only_when_the_stage_gives_it(qtbot, given) -> None:
    pytest.importorskip("pytestqt")
    from coregulate.ui.full_view import CHANCE_TITLE, FullView

    model = _model(_steady(0.5, 1.0, chance=0.42 if given else None))
    model.now_s = 331.0
    view = FullView(model)
    qtbot.addWidget(view)
    view.redraw(force=True)
    hi, lo = (view.curves[("sync", k)].getData()[1] for k in ("chance_hi", "chance_lo"))
    title = view.plots["sync_r"].titleLabel.text
    if given:
        assert np.allclose(hi, 0.42) and np.allclose(lo, -0.42) and hi.size > 0
        assert CHANCE_TITLE.strip(" ·") in title
    else:
        assert (hi is None or len(hi) == 0) and (lo is None or len(lo) == 0)
        assert "chance" not in title


def test_flicker_on_the_stages_own_output_for_a_simulated_session(tmp_path) -> None:
    """The synchrony stage's real per-window output (offline pipeline, simulated dyad,
    20 minutes): its leader word changes several times a minute and names a leader in
    windows with negative r (issue 14 saw 7-9 a minute and 18 %). The calm line,
    sampled every second as the window redraws, changes at most once a minute and
    never names a leader for a negative 2-minute r. Measured on branch ui14, seeds 1-6
    through scripts/simulated_sessions.py: windows 6.8-9.1 changes a minute and 18-25 %
    at r < 0; the line 0-0.31 a minute."""
    from coregulate.recordings.pipeline import read_beats, run_offline_pipeline
    from coregulate.recordings.simulated_file import write_simulated_session

    path = write_simulated_session(tmp_path / "s.sqlite", seed=4, duration_s=1200)
    result = run_offline_pipeline(read_beats(path), phase=False, parallel=False)
    updates = [u for u in result.outputs["sync"] if u["series"] == "hr_bpm"]
    model = SessionModel()
    for seq, u in enumerate(updates, start=1):
        model.ingest(make_message("sync", "sync", seq, u["t_ns"], u))
    windows = [(u["t_ns"] / NS, u["window"]) for u in updates if u["window"]]
    raw_rate = word_changes_per_minute(
        np.array([t for t, _ in windows]), [w["leader"] for _, w in windows]
    )
    negative_named = sum(1 for _, w in windows if w["peak_r"] < 0 and w["leader"] != "simultaneous")
    buf = model.sync["hr_bpm"].windows
    cols = [buf.column(c) for c in ("peak_r", "peak_lag_s", "chance_abs_r95", "above_chance")]
    times = np.arange(windows[0][0], windows[-1][0], 1.0)
    u_t = np.array([u["t_ns"] / NS for u in updates])
    lines = []
    for t in times:
        at = step_start(float(t))
        newest = updates[max(0, int(np.searchsorted(u_t, at, side="right")) - 1)]
        lines.append(summarise(buf.t_s, *cols, at, newest))
    line_rate = word_changes_per_minute(times, [s.leader for s in lines])
    log.info(
        "stage windows %.1f/min (%d at r<0 named), line %.2f/min",
        raw_rate,
        negative_named,
        line_rate,
    )
    assert raw_rate >= 3 and negative_named > 0  # the stage's own words do flicker
    assert line_rate <= 1.0
    for s in lines:
        if s.leader in ("therapist", "client"):
            assert "r +" in s.text and "not above chance" not in s.text
