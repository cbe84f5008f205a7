"""The window's breathing: the full view always, the calm view only when it matters (issue 17)."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from coregulate.bus.envelope import make_message
from coregulate.signal.breathing import hf_band_note
from coregulate.ui.live_window import LiveWindow
from coregulate.ui.synthetic import synthetic_session

NS = 1_000_000_000


def _breath(rate: float | None, moving: bool = False, reason: str = "") -> dict:
    """A `breath.<role>` payload as signal/breathing_live.py publishes it (docs/protocol.md)."""
    note = hf_band_note(rate)
    return {
        "t_ns": 0,
        "breathing_rate_bpm": rate,
        "breathing_source": "acc",
        "window_s": 60,
        "movement_mg": 80.0 if moving else 3.0,
        "moving": moving,
        "posture_change": False,
        "hf_note": note,
        "flags": {"hf_power_ms2": note, "rsa_ln_ms2": note} if note else {},
        "unavailable": {} if rate is not None else {"breathing_rate_bpm": reason},
    }


def _metrics(t_s: float, flags: dict) -> dict:
    return {
        "t_ns": int(t_s * NS),
        "hr_bpm": 70.0,
        "hf_power_ms2": 420.0,
        "ln_hf": 6.04,
        "rsa_ln_ms2": 5.9,
        "flags": flags,
    }


def _window(qtbot) -> LiveWindow:
    window = LiveWindow(None)
    qtbot.addWidget(window)
    window.show()
    return window


def _feed(window: LiveWindow, seq: int, t_s: float, breath: dict) -> None:
    t_ns = int(t_s * NS)
    window.model.ingest(make_message("breath.client", "acq", seq, t_ns, {**breath, "t_ns": t_ns}))
    metrics = _metrics(t_s, breath["flags"])
    window.model.ingest(make_message("metrics.client", "signal", seq, t_ns, metrics))


def test_breathing_in_the_band_is_in_the_full_view_only(qtbot) -> None:
    window = _window(qtbot)
    _feed(window, 1, 65.0, _breath(14.2))
    window.set_view("full")
    window.redraw(force=True)
    line = window.full.status.breathing["client"]
    assert line.text() == "Breathing: 14 /min (chest accelerometer, 60 s)"
    assert not line.isHidden()
    assert "outside" not in window.full.status.readouts[("client", "rsa_ln_ms2")].text()
    assert window.full.status.breathing["therapist"].isHidden()  # no ACC for them
    window.set_view("calm")
    window.redraw(force=True)
    assert window.calm.panels["client"].breath.isHidden()  # in the band: nothing to say
    window.close()


def test_breathing_outside_the_band_marks_hf_and_rsa_and_shows_quietly_in_calm(qtbot) -> None:
    window = _window(qtbot)
    _feed(window, 1, 65.0, _breath(7.0))
    window.set_view("full")
    window.redraw(force=True)
    status = window.full.status
    assert status.breathing["client"].text().startswith("Breathing: 7 /min (chest accelerometer")
    assert "outside the HF band" in status.breathing["client"].text()
    for name in ("ln_hf", "rsa_ln_ms2"):
        readout = status.readouts[("client", name)]
        assert readout.text().endswith("breathing outside the HF band (7/min)"), readout.text()
    assert "outside" not in status.readouts[("client", "hr_bpm")].text()
    window.set_view("calm")
    window.redraw(force=True)
    line = window.calm.panels["client"].breath
    assert not line.isHidden() and "breathing 7/min, outside the HF range" in line.text()
    assert window.calm.panels["therapist"].breath.isHidden()
    # Back in the band: the calm line goes away again.
    _feed(window, 2, 70.0, _breath(12.0))
    window.redraw(force=True)
    assert line.isHidden() and line.text() == ""
    window.close()


def test_moving_shows_in_calm_and_no_rate_says_why_in_full(qtbot) -> None:
    window = _window(qtbot)
    _feed(window, 1, 65.0, _breath(None, moving=True, reason="movement in the last 30 s"))
    window.set_view("calm")
    window.redraw(force=True)
    line = window.calm.panels["client"].breath
    assert not line.isHidden() and line.text().startswith("moving")
    window.set_view("full")
    window.redraw(force=True)
    text = window.full.status.breathing["client"].text()
    # The rate is withheld while moving, with the reason; the state word says "moving".
    assert text == "Breathing: not available (movement in the last 30 s)"
    # A stale update (the accelerometer stopped) is no longer shown as current.
    window.model.ingest(make_message("status.client", "acq", 9, 100 * NS, {"status": "streaming"}))
    window.redraw(force=True)
    assert "no update for 35 s" in window.full.status.breathing["client"].text()
    window.set_view("calm")
    window.redraw(force=True)
    assert line.isHidden()
    window.close()


def test_a_session_without_breath_messages_shows_nothing_new(qtbot) -> None:
    window = _window(qtbot)
    for msg in synthetic_session(120, seed=2):
        window.model.ingest(msg)
    for view in ("full", "calm"):
        window.set_view(view)
        window.redraw(force=True)
    for role in ("client", "therapist"):
        assert window.full.status.breathing[role].isHidden()
        assert window.full.status.breathing[role].text() == ""
        assert window.calm.panels[role].breath.isHidden()
        assert "HF band" not in window.full.status.readouts[(role, "ln_hf")].text()
    window.close()
