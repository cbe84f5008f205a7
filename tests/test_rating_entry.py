"""Rating entry (pytest-qt, offscreen): taps on the lines give the right scores, nothing
numeric is shown to the client, and a submitted form is recorded by the hub as `rating`."""

from __future__ import annotations

import re

import pytest
from PySide6 import QtCore, QtWidgets

from coregulate.alliance.instruments import ORS, SRS, WAI_SR
from coregulate.alliance.rating import read_rating
from coregulate.alliance.schedule import forms_due
from coregulate.bus.producer import BusProducer
from coregulate.sessionfile.access import read_messages
from coregulate.ui.rating_entry import RatingDialog, RatingSender
from coregulate.ui.rating_forms import RatingForm


def _tap(qtbot, line, value: float) -> None:
    qtbot.mouseClick(line, QtCore.Qt.LeftButton, pos=QtCore.QPoint(line.x_for(value), 20))


def test_srs_taps_score_and_done_waits_for_every_item(qtbot) -> None:
    form = RatingForm(SRS)
    qtbot.addWidget(form)
    form.resize(800, 500)
    form.show()
    qtbot.waitExposed(form)
    for line, value in zip(form.lines[:3], (9.0, 8.5, 10.0), strict=True):
        _tap(qtbot, line, value)
    assert not form.done_button.isEnabled()  # item 4 unanswered
    _tap(qtbot, form.lines[3], 8.5)
    assert form.answers() == pytest.approx([9.0, 8.5, 10.0, 8.5], abs=0.05)
    with qtbot.waitSignal(form.submitted) as sig:
        qtbot.mouseClick(form.done_button, QtCore.Qt.LeftButton)
    result = sig.args[0]
    assert result.instrument == "SRS"
    assert result.total == pytest.approx(36.0, abs=0.2)
    assert result.flags["concern"] is (result.total <= 36)


def test_no_numbers_are_shown_while_rating(qtbot) -> None:
    for inst in (SRS, ORS):
        form = RatingForm(inst)
        qtbot.addWidget(form)
        form.show()
        for line in form.lines:
            _tap(qtbot, line, 7.3)
        texts = [w.text() for w in form.findChildren(QtWidgets.QLabel)]
        texts += [w.text() for w in form.findChildren(QtWidgets.QPushButton)]
        assert not any(re.search(r"\d", t) for t in texts), texts


def test_wai_sr_buttons_give_sums(qtbot) -> None:
    form = RatingForm(WAI_SR)
    qtbot.addWidget(form)
    form.show()
    answers = [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2]
    for group, answer in zip(form.choices, answers, strict=True):
        qtbot.mouseClick(group.button(answer), QtCore.Qt.LeftButton)
    with qtbot.waitSignal(form.submitted) as sig:
        qtbot.mouseClick(form.done_button, QtCore.Qt.LeftButton)
    # Hand-worked: Task 1+2+5+2 = 10, Bond 3+5+2+4 = 14, Goal 4+1+3+1 = 9, total 33.
    result = sig.args[0]
    assert (result.total, result.subscales["task"], result.subscales["bond"]) == (33, 10, 14)
    assert result.subscales["goal"] == 9


def test_forms_due() -> None:
    assert forms_due("start", 1) == [ORS]
    assert forms_due("end", 3) == [SRS]
    assert forms_due("end", 4) == [SRS, WAI_SR]
    assert forms_due("end", 6, wai_every=3) == [SRS, WAI_SR]
    assert forms_due("end", 4, wai_every=0) == [SRS]


def test_dialog_sends_ratings_that_the_hub_records(qtbot, hub_thread) -> None:
    hub_thread.start()
    producer = BusProducer(hub_thread.endpoints.input, "rating")
    sender = RatingSender(producer, now_ns=lambda: 3_000_000_000)
    dialog = RatingDialog([SRS, WAI_SR], sender, "end", session_number=4)
    qtbot.addWidget(dialog)
    dialog.show()
    srs, wai = dialog.forms
    for line, value in zip(srs.lines, (10, 9, 9.5, 9), strict=True):
        _tap(qtbot, line, value)
    sent = []
    dialog.rated.connect(sent.append)
    qtbot.mouseClick(srs.done_button, QtCore.Qt.LeftButton)
    for group in wai.choices:
        qtbot.mouseClick(group.button(4), QtCore.Qt.LeftButton)
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(wai.done_button, QtCore.Qt.LeftButton)
    assert producer.flush(timeout_s=10)
    hub_thread.stop()
    producer.close()
    stored = [m for m in read_messages(hub_thread.path, ("rating",))]
    assert [m.json() for m in stored] == sent
    ratings = [read_rating(m.json(), m.t_ns) for m in stored]
    assert [r.score.instrument for r in ratings] == ["SRS", "WAI-SR"]
    assert ratings[0].score.total == pytest.approx(37.5, abs=0.2)
    assert ratings[1].score.total == 48 and ratings[1].score.subscales["bond"] == 16
    assert {(r.rater, r.phase, r.session_number, r.t_ns) for r in ratings} == {
        ("client", "end", 4, 3_000_000_000)
    }


def test_end_of_session_panel_records_srs_at_the_end_time(qtbot, hub_thread) -> None:
    from coregulate.ui.end_of_session import EndOfSession as End
    from coregulate.ui.rating_panel import ratings_panel

    hub_thread.start()
    assert ratings_panel(End(None, "c-1", None, 0)) is None  # a viewer without the hub
    panel = ratings_panel(End(None, "", hub_thread.endpoints.input, 7_000_000_000))
    qtbot.addWidget(panel)
    assert [f.name for f in panel.forms] == ["SRS"]  # unknown session number: no WAI-SR
    dialog = panel.open_forms()
    qtbot.addWidget(dialog)
    for line in dialog.forms[0].lines:
        line.set_value(8.0)
    with qtbot.waitSignal(dialog.finished):
        qtbot.mouseClick(dialog.forms[0].done_button, QtCore.Qt.LeftButton)
    hub_thread.stop()
    (stored,) = [m for m in read_messages(hub_thread.path, ("rating",))]
    assert stored.t_ns == 7_000_000_000
    assert stored.json()["total"] == 32 and stored.json()["flags"] == {"concern": True}
    assert "SRS total 32 — concern" in panel.result.text()


def test_the_end_of_session_dialog_shows_the_ratings_panel(qtbot, monkeypatch, hub_thread) -> None:
    from coregulate.ui import end_of_session
    from coregulate.ui.end_of_session import EndOfSession, EndOfSessionDialog
    from coregulate.ui.rating_panel import RatingsPanel, ratings_panel

    monkeypatch.setattr(end_of_session, "_PANELS", [])
    end_of_session.register_end_of_session_panel(ratings_panel)
    dialog = EndOfSessionDialog(EndOfSession(None, "c-1", hub_thread.endpoints.input, 5))
    qtbot.addWidget(dialog)
    (panel,) = dialog.findChildren(RatingsPanel)
    assert panel.button.text() == "Hand the SRS to the client"


def test_live_window_hands_the_ors_to_the_client_at_the_start(qtbot, hub_thread) -> None:
    from coregulate.ui.live_window import LiveWindow

    hub_thread.start()
    window = LiveWindow(hub_thread.endpoints.output, hub_thread.endpoints.input)
    qtbot.addWidget(window)
    assert window.ors_action.isEnabled()
    dialog = window.give_start_ratings()
    qtbot.addWidget(dialog)
    assert [f.instrument.name for f in dialog.forms] == ["ORS"]
    for line in dialog.forms[0].lines:
        line.set_value(6.0)
    with qtbot.waitSignal(dialog.finished):
        qtbot.mouseClick(dialog.forms[0].done_button, QtCore.Qt.LeftButton)
    window.close()  # flushes the window's producer
    hub_thread.stop()
    (stored,) = [m for m in read_messages(hub_thread.path, ("rating",))]
    assert stored.json()["instrument"] == "ORS" and stored.json()["phase"] == "start"
    assert stored.json()["total"] == 24  # 4 x 6: below the clinical cut-off of 25


def _press(qtbot, key, modifier=QtCore.Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(QtWidgets.QApplication.focusWidget(), key, modifier)


@pytest.mark.parametrize("inst", [SRS, WAI_SR])
def test_a_form_is_filled_in_and_sent_with_the_keyboard_alone(qtbot, inst) -> None:
    Key = QtCore.Qt.Key
    form = RatingForm(inst)
    qtbot.addWidget(form)
    form.resize(800, 700)
    form.show()
    form.activateWindow()
    qtbot.waitUntil(lambda: QtWidgets.QApplication.activeWindow() is form)
    form.setFocus()
    if inst.continuous:
        # Tab to each line in turn; the first arrow shows the mark at 5, then steps.
        presses = [
            [Key.Key_Right, Key.Key_Right, Key.Key_Right],  # 5.0, 5.1, 5.2
            [Key.Key_End, Key.Key_Left],  # 9.9
            [Key.Key_Home, Key.Key_PageUp, Key.Key_PageUp],  # 2.0
            [Key.Key_Left, Key.Key_Left],  # 5.0, 4.9
        ]
        for keys in presses:
            _press(qtbot, Key.Key_Tab)
            assert isinstance(QtWidgets.QApplication.focusWidget(), type(form.lines[0]))
            for key in keys:
                _press(qtbot, key)
        _press(qtbot, Key.Key_Right, QtCore.Qt.KeyboardModifier.ShiftModifier)  # 1 cm: 5.9
        assert form.answers() == pytest.approx([5.2, 9.9, 2.0, 5.9], abs=1e-9)
        assert [line.hasFocus() for line in form.lines] == [False, False, False, True]
    else:
        # Tab to each item's answers, arrows across them, Space picks.
        wanted = [2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2, 3]
        for group, answer in zip(form.choices, wanted, strict=True):
            _press(qtbot, Key.Key_Tab)
            assert QtWidgets.QApplication.focusWidget() is group.buttons()[0]
            for _ in range(answer - int(inst.min_score)):
                _press(qtbot, Key.Key_Right)
            _press(qtbot, Key.Key_Space)
        assert form.answers() == [float(a) for a in wanted]
    # Tab on to Done, Space sends.
    for _ in range(60):
        if QtWidgets.QApplication.focusWidget() is form.done_button:
            break
        _press(qtbot, Key.Key_Tab)
    assert form.done_button.hasFocus() and form.done_button.isEnabled()
    with qtbot.waitSignal(form.submitted) as sig:
        _press(qtbot, Key.Key_Space)
    assert sig.args[0].instrument == inst.name
