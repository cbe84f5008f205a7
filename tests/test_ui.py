"""The live window, offscreen: built, fed through a real hub, markers, honesty, reopening."""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6 import QtCore

from coregulate.bus.envelope import make_message
from coregulate.bus.producer import BusProducer
from coregulate.bus.subscriber import BusSubscriber
from coregulate.sessionfile.access import read_messages
from coregulate.ui.live_window import LiveWindow
from coregulate.ui.readouts import NOT_PUBLISHED
from coregulate.ui.synthetic import synthetic_session

NS = 1_000_000_000


def _window(qtbot, hub_thread, **kw) -> LiveWindow:
    ep = hub_thread.endpoints
    window = LiveWindow(ep.output, ep.input, hub_thread.path, poll_ms=20, redraw_ms=50, **kw)
    qtbot.addWidget(window)
    window.show()
    return window


def _send_all(producer: BusProducer, messages) -> int:
    n = 0
    for m in messages:
        producer.send(m.topic, m.json(), m.t_ns)
        n += 1
    producer.pump()
    return n


def test_window_builds_both_views_and_themes(qtbot) -> None:
    window = LiveWindow(None)
    qtbot.addWidget(window)
    window.show()
    for view in ("full", "calm"):
        window.set_view(view)
        window.toggle_theme()
        window.redraw(force=True)
    assert window.calm.panels["client"].state.text() == "not available"
    assert not window.marker_bar.isEnabled()  # no hub input: markers say they cannot work
    window.close()


def test_data_from_the_bus_reaches_both_views(qtbot, hub_thread) -> None:
    hub_thread.start()
    window = _window(qtbot, hub_thread)
    producer = BusProducer(hub_thread.endpoints.input, "signal")
    time.sleep(0.3)  # let the window's subscription reach the hub
    sent = list(synthetic_session(1000, seed=3))
    _send_all(producer, sent)
    metrics = [m for m in sent if m.topic == "metrics.therapist"]
    qtbot.waitUntil(
        lambda: len(window.model.people["therapist"].metrics) >= len(metrics), timeout=10_000
    )
    window.set_view("full")
    window.redraw(force=True)
    # The plotted curve is the published series (last 10 min of history shown).
    x, y = window.full.curves[("therapist", "hr_bpm")].getData()
    last = metrics[-1].json()
    assert y[-1] == pytest.approx(last["hr_bpm"]) and x[-1] == pytest.approx(1000 / 60)
    # The client's contact loss (900-930 s) is a gap: NaN in the drawn series, not a joined line.
    cx, cy = window.full.curves[("client", "hr_bpm")].getData()
    inside = (cx > 900 / 60) & (cx < 930 / 60)
    assert inside.any() and np.isnan(cy[inside]).all()
    window.set_view("calm")
    assert window.calm.panels["therapist"].state.text() == last["state"]
    assert window.calm.timer.text() == "0:16:40"
    assert "strap" not in window.calm.attention.text()  # nothing to attend to: nothing shown
    producer.flush(5)
    producer.close()
    window.close()


def test_a_keystroke_marks_on_the_bus_in_the_file_and_on_every_timeline(qtbot, hub_thread) -> None:
    hub_thread.start()
    window = _window(qtbot, hub_thread)
    listener = BusSubscriber(hub_thread.endpoints.output, ("marker",))
    producer = BusProducer(hub_thread.endpoints.input, "signal")
    time.sleep(0.3)
    _send_all(producer, synthetic_session(120, seed=2))
    qtbot.waitUntil(lambda: window.model.now_s >= 120, timeout=10_000)
    window.activateWindow()
    window.setFocus()
    qtbot.keyClick(window, QtCore.Qt.Key.Key_W)
    got = listener.recv(timeout_ms=5000)
    assert got is not None and got.topic == "marker"
    body = got.json()
    assert body["kind"] == "rupture-withdrawal" and len(body["id"]) == 32
    assert got.source.startswith("ui-") and got.t_ns == body["t_ns"]
    # Drawn at once on every plot of both views.
    window.set_view("full")
    assert len(window.full.marker_lines()[body["id"]]) == len(window.full.plots) + 1  # + breathing
    window.set_view("calm")
    assert len(window.calm.marker_layer.lines[body["id"]]) == len(window.calm._plots)
    # A note: N opens the field, the text goes with the time of the key press.
    qtbot.keyClick(window, QtCore.Qt.Key.Key_N)
    assert window.marker_bar.note.isVisible()
    qtbot.keyClicks(window.marker_bar.note, "client looked away")
    qtbot.keyClick(window.marker_bar.note, QtCore.Qt.Key.Key_Return)
    note = listener.recv(timeout_ms=5000).json()
    assert note["kind"] == "note" and note["text"] == "client looked away"
    assert not window.marker_bar.note.isVisible()
    # Undo withdraws the newest marker: a retraction that names it; its lines go.
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    retraction = listener.recv(timeout_ms=5000).json()
    assert retraction == {**retraction, "kind": "retraction", "retracts": note["id"]}
    window.redraw()
    assert (
        note["id"] not in window.calm.marker_layer.lines
        and body["id"] in window.calm.marker_layer.lines
    )
    window.close()  # flushes the marker producer: the hub has committed the markers
    recorded = [m.json() for m in read_messages(hub_thread.path, ("marker",))]
    assert [m["id"] for m in recorded] == [body["id"], note["id"], retraction["id"]]
    producer.flush(5)
    producer.close()
    listener.close()


def test_not_available_is_said_with_its_reason(qtbot) -> None:
    window = LiveWindow(None)
    qtbot.addWidget(window)
    reason = "more than 20 % of the 60 s window is repaired beats"
    payload = {
        "t_ns": 5 * NS,
        "hr_bpm": 71.0,
        "rmssd_ms": None,
        "ln_rmssd": None,
        "unavailable": {"rmssd_ms": reason, "ln_rmssd": reason},
    }
    window.model.ingest(make_message("metrics.client", "signal", 1, 5 * NS, payload))
    window.set_view("full")
    window.redraw(force=True)
    readout = window.full.status.readouts[("client", "ln_rmssd")]
    assert readout.text() == "lnRMSSD: not available" and reason in readout.toolTip()
    assert window.full.status.readouts[("client", "hr_bpm")].text() == "HR: 71 bpm"
    # A field this session's signal stage does not publish at all says so.
    rsa = window.full.status.readouts[("client", "rsa_ln_ms2")]
    assert rsa.text() == "RSA: not available" and NOT_PUBLISHED in rsa.toolTip()
    # The curve has no point there (NaN), never a 0.
    _, y = window.full.curves[("client", "ln_rmssd")].getData()
    assert y is not None and all(math.isnan(v) for v in y)
    window.set_view("calm")
    panel = window.calm.panels["client"]
    assert panel.state.text() == "not available" and NOT_PUBLISHED in panel.state.toolTip()
    assert panel.hrv.text() == "HRV: not available" and reason in panel.hrv.toolTip()
    window.close()


def test_closing_and_reopening_the_viewer_mid_session_loses_nothing(qtbot, hub_thread) -> None:
    hub_thread.start()
    producer = BusProducer(hub_thread.endpoints.input, "signal")
    sent = list(synthetic_session(600, seed=4))
    half = len(sent) // 2
    first = _window(qtbot, hub_thread)
    time.sleep(0.3)
    _send_all(producer, sent[:half])
    qtbot.waitUntil(lambda: first.model.count() >= half, timeout=10_000)
    first.add_marker("repair")
    first.close()
    # While no viewer is open the session goes on.
    _send_all(producer, sent[half:])
    assert producer.flush(5)
    second = _window(qtbot, hub_thread)
    qtbot.waitUntil(lambda: second.model.count() >= len(sent) + 1, timeout=10_000)
    time.sleep(0.3)
    second.poll()
    assert second.model.count() == len(sent) + 1  # every message once, plus the marker
    assert [m.kind for m in second.model.visible_markers()] == ["repair"]
    for role in ("client", "therapist"):
        want = [m.json()["hr_bpm"] for m in sent if m.topic == f"metrics.{role}"]
        got = second.model.people[role].metrics.column("hr_bpm")
        assert np.array_equal(got[np.isfinite(got)], np.asarray(want))
    # Then it continues live, without doubling what it already has.
    more = make_message("metrics.client", "signal", 1, 601 * NS, {"hr_bpm": 80.0})
    producer.send("metrics.client", json.loads(more.payload), more.t_ns)
    producer.pump()
    qtbot.waitUntil(
        lambda: second.model.people["client"].metrics.last("hr_bpm") == 80.0, timeout=5000
    )
    assert second.model.count() == len(sent) + 2
    second.close()
    producer.close()


def test_baseline_countdown_stands_in_for_the_state(qtbot) -> None:
    window = LiveWindow(None)
    qtbot.addWidget(window)
    for msg in synthetic_session(60, seed=1):  # the synthetic baseline runs 0-180 s
        window.model.ingest(msg)
    window.redraw()
    panel = window.calm.panels["client"]
    assert panel.state.text() == "taking baseline"
    assert panel.since.text().startswith("resting period, 2:00 left")
    payload = {
        "t_ns": 61 * NS,
        "hr_bpm": 70.0,
        "state": None,
        "baseline": {"status": "failed", "reason": "only 3 updates"},
        "unavailable": {"state": "no baseline yet (failed)"},
    }
    window.model.ingest(make_message("metrics.client", "signal", 999, 61 * NS, payload))
    window.redraw()
    assert panel.state.text() == "no baseline" and "only 3 updates" in panel.state.toolTip()
    window.close()


def test_retake_baseline_asks_the_signal_stage(qtbot, hub_thread) -> None:
    hub_thread.start()
    window = _window(qtbot, hub_thread)
    listener = BusSubscriber(hub_thread.endpoints.output, ("control.",))
    time.sleep(0.3)
    window.retake_baseline("client")
    got = listener.recv(timeout_ms=5000)
    assert got is not None and got.topic == "control.baseline"
    assert got.json() == {"action": "retake", "role": "client"}  # docs/protocol.md
    window.close()
    listener.close()


def test_calm_trend_draws_off_scale_values_at_the_edge_never_as_a_gap(qtbot) -> None:
    from coregulate.ui.calm_view import TREND_RANGE

    window = LiveWindow(None)
    qtbot.addWidget(window)
    window.show()
    values = [0.5, 1.0, 6.2, 2.0, -4.1, 0.0]  # a client peak of 6.2 and a dip of -4.1
    for i, v in enumerate(values):
        t_ns = (100 + i) * NS
        body = {"t_ns": t_ns, "arousal_index": v, "state": "activated", "baseline": {}}
        window.model.ingest(make_message("metrics.client", "signal", i + 1, t_ns, body))
    window.redraw(force=True)
    panel = window.calm.panels["client"]
    x, y = panel.curve.getData()
    lo, hi = TREND_RANGE
    assert np.isfinite(y).all()  # no gap where the value left the scale
    assert list(y) == [0.5, 1.0, hi, 2.0, lo, 0.0]
    ax, ay = panel.off_scale["above"].getData()
    bx, by = panel.off_scale["below"].getData()
    assert list(ax) == [x[2]] and list(ay) == [hi]  # marked at the top edge
    assert list(bx) == [x[4]] and list(by) == [lo]
    labels = panel.off_labels  # how far beyond the edge, in words
    assert labels["above"].textItem.toPlainText() == "off scale: peak +6.2"
    assert labels["below"].textItem.toPlainText() == "off scale: low -4.1"
    view_lo, view_hi = panel.plot.viewRange()[1]
    assert view_lo <= lo and view_hi >= hi  # the edge marks are inside the plot
