"""Breathing-rate synchrony in the window (issue 17 item 5): full-view strip, calm line.

The sync messages here are the synchrony stage's own (`SyncStage` fed `breath.<role>`
payloads every 5 s, as signal/breathing_live.py publishes them): the client's
breathing rate follows the therapist's 10 s later (coupled), or both drift on their
own (uncoupled; each rate an AR(1) around 14/min). Measured on these (seeds 1-3,
1800 s): the chance band first comes at 1440 s (0.65-0.89); coupled windows have
median peak r 0.97-0.98, all above the band; uncoupled ones median r -0.38 to +0.35,
0-25 % of their windows above it (single windows at chance), never "in step".
"""

from __future__ import annotations

import numpy as np
import pytest

from coregulate.bus.envelope import Message, make_message
from coregulate.stages.sync_stage import SyncStage
from coregulate.ui.breath_sync import BREATH_SYNC_SERIES, CALM_TEXT, breath_in_step
from coregulate.ui.model import SessionModel

NS = 1_000_000_000
DURATION_S = 1800.0


def _walk(rng: np.random.Generator, n: int) -> np.ndarray:
    """A breathing rate wandering around 14/min: AR(1), 5 s steps, time constant ~50 s."""
    x = np.zeros(n)
    for i in range(1, n):
        x[i] = 0.9 * x[i - 1] + rng.normal(0, 0.8)
    return 14 + x


def _sync_messages(coupled: bool, seed: int = 1) -> list[Message]:
    """Return the stage's sync messages for two people's breathing rates (every 5 s)."""
    rng = np.random.default_rng(seed)
    t_s = np.arange(5, DURATION_S + 1, 5.0)
    therapist = _walk(rng, t_s.size)
    if coupled:
        client = np.interp(t_s - 10, t_s, therapist) + 1 + rng.normal(0, 0.3, t_s.size)
    else:
        client = _walk(rng, t_s.size)
    stage, out, seq = SyncStage(phase_at_end=False), [], 0
    for i, t in enumerate(t_s):
        for role, rate in (("therapist", therapist[i]), ("client", client[i])):
            seq += 1
            t_ns = int(t * NS)
            payload = {"t_ns": t_ns, "breathing_rate_bpm": round(float(rate), 2)}
            out += stage.update(make_message(f"breath.{role}", "acq", seq, t_ns, payload))
    return [
        make_message(o.topic, "sync", k + 1, o.t_ns, o.payload)
        for k, o in enumerate(out)
        if o.payload["series"] == BREATH_SYNC_SERIES
    ]


@pytest.fixture(scope="module")
def coupled() -> list[Message]:
    return _sync_messages(coupled=True)


@pytest.fixture(scope="module")
def uncoupled() -> list[Message]:
    return _sync_messages(coupled=False)


def _model(messages: list[Message], until_s: float = DURATION_S) -> SessionModel:
    model = SessionModel()
    for msg in messages:
        if msg.t_ns <= until_s * NS:
            model.ingest(msg)
    return model


@pytest.mark.parametrize("seed", [2, 3])
def test_other_seeds_in_step_exactly_when_coupled(seed: int) -> None:
    for coupled, expected in ((True, True), (False, False)):
        sync = _model(_sync_messages(coupled, seed)).sync[BREATH_SYNC_SERIES]
        assert [breath_in_step(sync, t) for t in (1650.0, 1800.0)] == [expected] * 2


def test_in_step_only_when_coupled_and_above_the_chance_band(coupled, uncoupled) -> None:
    sync = _model(coupled).sync[BREATH_SYNC_SERIES]
    assert breath_in_step(sync, DURATION_S)
    assert not breath_in_step(_model(uncoupled).sync[BREATH_SYNC_SERIES], DURATION_S)
    # Before the chance band exists (~24 min) nothing is claimed, however high r is.
    early = _model(coupled, until_s=1200.0).sync[BREATH_SYNC_SERIES]
    r = early.windows.column("peak_r")
    assert np.nanmedian(r) > 0.9 and not np.isfinite(early.windows.column("chance_abs_r95")).any()
    assert not breath_in_step(early, 1200.0)
    # A session verdict "not above chance" (SUSY) silences it.
    sync.latest = {**sync.latest, "susy": {"above_chance": False}}
    assert not breath_in_step(sync, DURATION_S)
    assert not breath_in_step(None, DURATION_S)


def test_no_windows_in_the_last_three_minutes_is_not_in_step(coupled) -> None:
    # 3 minutes after the last window there is nothing to say.
    sync = _model(coupled).sync[BREATH_SYNC_SERIES]
    assert not breath_in_step(sync, DURATION_S + 181.0)


def _shown_share(paced: bool, seed: int) -> float:
    """Return the share of 30 s steps (once a band exists) at which the calm line shows.

    On test_sync_stage's breathing (40 min, every 5 s, 0.3/min estimation noise, a
    20 s gesture): paced = both follow one slow drive, the client 10 s behind.
    """
    from test_sync_stage import _breath_messages

    stage, model, k = SyncStage(phase_at_end=False), SessionModel(), 0
    for msg in _breath_messages(2400.0, 10.0 if paced else 0.0, seed, paced):
        for out in stage.update(msg):
            if out.payload["series"] == BREATH_SYNC_SERIES:
                k += 1
                model.ingest(make_message("sync", "sync", k, out.t_ns, out.payload))
    sync = model.sync[BREATH_SYNC_SERIES]
    banded = sync.windows.t_s[np.isfinite(sync.windows.column("chance_abs_r95"))]
    steps = np.arange(np.ceil(banded[0] / 30) * 30, 2400.0, 30.0)
    return float(np.mean([breath_in_step(sync, t) for t in steps]))


def test_the_calm_line_never_shows_for_unrelated_breathing() -> None:
    # Measured over seeds 1-10: unrelated 0 % of steps (the stage's single windows are
    # above chance 5.9 % of the time); paced 12-83 % (mean 61 %).
    assert [_shown_share(False, seed) for seed in (1, 2, 3)] == [0.0, 0.0, 0.0]
    assert np.mean([_shown_share(True, seed) for seed in (1, 2, 3)]) >= 0.4


pytest.importorskip("pytestqt")


def _window(qtbot, messages: list[Message]):
    from coregulate.ui.live_window import LiveWindow

    window = LiveWindow(None)
    qtbot.addWidget(window)
    window.show()
    for msg in messages:
        window.model.ingest(msg)
    return window


def test_full_view_strip_draws_r_and_the_chance_band(qtbot, coupled) -> None:
    window = _window(qtbot, coupled)
    window.set_view("full")
    window.redraw(force=True)
    strip = window.full.breath_sync
    assert not strip.isHidden()
    x, y = strip.curve.getData()
    # The last 10 minutes (the history shown) of windows every 10 s, up to the newest.
    assert len(x) >= 55 and x[-1] == pytest.approx(1790 / 60) and np.nanmedian(y) > 0.9
    _, band_y = strip.band[0].getData()
    assert np.nanmax(band_y) > 0.5  # the dotted chance band is drawn
    assert "Breathing-rate synchrony" in strip.plot.titleLabel.text
    assert "180 s windows, lags ±30 s" in strip.plot.titleLabel.text
    window.close()


def test_full_view_strip_shows_the_markers_like_the_other_rows(qtbot, coupled) -> None:
    import pyqtgraph as pg

    marker = {"id": "a" * 32, "kind": "repair", "t_ns": 1500 * 10**9, "text": None}
    window = _window(qtbot, [*coupled, make_message("marker", "ui-1", 1, 1500 * 10**9, marker)])
    window.set_view("full")
    window.redraw(force=True)
    strip = window.full.breath_sync
    lines = [i for i in strip.plot.items if isinstance(i, pg.InfiniteLine)]
    assert [line.value() for line in lines] == [pytest.approx(25.0)]  # minutes, as the rows
    (row_line, *_) = window.full.marker_lines()["a" * 32]
    assert lines[0].pen.color().name() == row_line.pen.color().name()
    assert getattr(lines[0], "label", None) is None  # the letter: on the top row only
    window.close()


def test_calm_line_only_while_breathing_rates_move_together(qtbot, coupled, uncoupled) -> None:
    window = _window(qtbot, coupled)
    window.set_view("calm")
    window.redraw(force=True)
    line = window.calm.breath_sync
    assert not line.isHidden() and line.text() == CALM_TEXT
    window.close()
    window = _window(qtbot, uncoupled)
    window.set_view("calm")
    window.redraw(force=True)
    assert window.calm.breath_sync.isHidden()
    window.close()


def test_a_session_without_breathing_sync_shows_nothing_new(qtbot) -> None:
    from coregulate.ui.synthetic import synthetic_session

    window = _window(qtbot, list(synthetic_session(300.0)))
    for view in ("full", "calm"):
        window.set_view(view)
        window.redraw(force=True)
    assert window.full.breath_sync.isHidden() and window.calm.breath_sync.isHidden()
    window.close()
