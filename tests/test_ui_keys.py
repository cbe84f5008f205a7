"""Keys that cannot slip: mode changes on F-keys, undo that says what it withdrew."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("pytestqt")

from PySide6 import QtCore, QtWidgets

from coregulate.bus.producer import BusProducer
from coregulate.ui.live_window import LiveWindow
from coregulate.ui.markers import HELP_KEY, KINDS, THEME_KEY, UNDO_KEY, VIEW_KEY
from coregulate.ui.synthetic import synthetic_session

Key = QtCore.Qt.Key


def test_letters_never_change_the_view_or_theme_and_f_keys_do(qtbot) -> None:
    window = LiveWindow(None)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    window.setFocus()
    qtbot.waitUntil(lambda: QtWidgets.QApplication.activeWindow() is window)
    view, theme = window.stack.currentWidget(), window.theme
    # Every letter a finger might slip to from a marker key leaves the mode alone.
    for key in (Key.Key_V, Key.Key_T, Key.Key_R, Key.Key_C, Key.Key_W, Key.Key_N):
        qtbot.keyClick(window, key)
        window.marker_bar.cancel_note()
    assert window.stack.currentWidget() is view and window.theme is theme
    qtbot.keyClick(window, Key.Key_F2)
    assert window.stack.currentWidget() is window.full
    qtbot.keyClick(window, Key.Key_F3)
    assert window.theme is not theme
    # Mode keys are F-keys and never a marker's key; no two bindings share a key.
    mode_keys = {VIEW_KEY, THEME_KEY, HELP_KEY}
    assert all(k.startswith("F") for k in mode_keys)
    bound = [k.key for k in KINDS] + [UNDO_KEY, *mode_keys]
    assert len(bound) == len(set(bound))
    assert "[F2]" in window.view_action.text() and "[F3]" in window.theme_action.text()
    window.close()


def test_undo_says_what_it_withdrew(qtbot, hub_thread) -> None:
    hub_thread.start()
    ep = hub_thread.endpoints
    window = LiveWindow(ep.output, ep.input, hub_thread.path, poll_ms=20, redraw_ms=50)
    qtbot.addWidget(window)
    window.show()
    producer = BusProducer(ep.input, "signal")
    time.sleep(0.3)
    for m in synthetic_session(200, seed=2):
        producer.send(m.topic, m.json(), m.t_ns)
    producer.pump()
    qtbot.waitUntil(lambda: window.model.now_s >= 200, timeout=10_000)
    window.add_marker("rupture-confrontation", t_ns=183 * 1_000_000_000)
    window.activateWindow()
    window.setFocus()
    qtbot.waitUntil(lambda: QtWidgets.QApplication.activeWindow() is window)
    qtbot.keyClick(window, Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert window.statusBar().currentMessage() == "withdrew: rupture (confrontation) at 0:03:03"
    qtbot.keyClick(window, Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert window.statusBar().currentMessage() == "no marker to undo"
    window.close()
    producer.flush(5)
    producer.close()
