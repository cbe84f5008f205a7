"""The live window with 3-6 people: tiles, hidden therapists, pair strip, markers naming who."""

from __future__ import annotations

import signal

import pytest

pytest.importorskip("pytestqt")

from PySide6 import QtWidgets

from coregulate.bus.envelope import make_message
from coregulate.palette import person_name
from coregulate.signal import people as ppl
from coregulate.ui.calm_view import tile_columns
from coregulate.ui.live_window import LiveWindow
from coregulate.ui.markers import marker_payload
from coregulate.ui.synthetic import synthetic_session
from coregulate.ui.synthetic_group import GroupStory, synthetic_group_session

NS = 1_000_000_000
UNUSED_INPUT = "tcp://127.0.0.1:9"  # a marker input no hub listens on: markers queue


def _window(qtbot, n: int, seconds: float = 300, **kwargs) -> LiveWindow:
    window = LiveWindow(None, UNUSED_INPUT, **kwargs)
    qtbot.addWidget(window)
    window.show()
    for msg in synthetic_group_session(seconds, GroupStory.demo(n)):
        window.model.ingest(msg)
    window.redraw(force=True)
    return window


def _shown_tiles(window: LiveWindow) -> list[str]:
    return [k for k, panel in window.calm_group.panels.items() if panel.isVisible()]


@pytest.mark.parametrize("n", [3, 4, 6])
def test_calm_view_has_a_compact_tile_per_person(qtbot, n) -> None:
    window = _window(qtbot, n)
    assert window.stack.currentWidget() is window.calm_group
    keys = ppl.keys_of(ppl.demo_people(n))
    assert _shown_tiles(window) == list(keys)
    tile = window.calm_group.panels["partner"]
    assert tile.compact and tile.name.text() == "Partner"
    assert tile.state.text() == "settled" and tile.hr.text().startswith("HR: ")
    # At most three tiles a row; four make a square.
    rows = {window.calm_group.tiles.getItemPosition(i)[0] for i in range(n)}
    assert len(rows) == -(-n // tile_columns(n)) and tile_columns(4) == 2
    text = window.calm_group.sync_text.text()
    assert text.startswith("Group synchrony, last 2 min\ngroup ρ")
    window.set_hide_therapists(True)
    window.redraw()
    assert _shown_tiles(window) == [k for k in keys if k not in ppl.THERAPIST_ROLES]
    window.toggle_therapists()
    window.redraw()
    assert _shown_tiles(window) == list(keys)


def test_hide_therapists_at_start_and_in_the_dyad(qtbot) -> None:
    window = _window(qtbot, 4, hide_therapists=True)
    assert _shown_tiles(window) == ["client", "partner"]
    assert window.hide_action.text().startswith("Show therapists")
    dyad = LiveWindow(None, hide_therapists=True)
    qtbot.addWidget(dyad)
    dyad.show()
    for msg in synthetic_session(120):
        dyad.model.ingest(msg)
    dyad.redraw()
    assert dyad.stack.currentWidget() is dyad.calm
    assert dyad.calm.panels["client"].isVisible()
    assert not dyad.calm.panels["therapist"].isVisible()


def test_full_view_draws_every_person_the_group_and_each_pair(qtbot) -> None:
    window = _window(qtbot, 4)
    window.set_view("full")
    full = window.full
    keys = ppl.keys_of(ppl.demo_people(4))
    assert full.keys == keys
    assert all(len(full.curves[(k, "hr_bpm")].getData()[0]) > 0 for k in keys)
    assert len(set(full.colours.values())) == 4
    assert full.group_rows.shown and len(full.group_rows.value.getData()[0]) > 0
    assert "Group synchrony: cluster-phase ρ" in full.plots["sync_r"].titleLabel.text
    table = full.pair_table
    assert table.isVisible() and table.rowCount() == 6
    rows = {table.item(r, 0).text(): table.item(r, 2).text() for r in range(6)}
    assert set(rows) == {f"{a} · {b}" for a, b in ppl.pairs([person_name(k) for k in keys])}
    lag = window.model.pair("client", "partner").latest["window"]["peak_lag_s"]
    leads = "in step" if abs(lag) <= 0.5 else ("Partner" if lag > 0 else "Client") + " leads"
    assert rows["Client · Partner"] == f"{lag:+.1f} s: {leads}"
    assert "of 6 pairs above chance" in full.status.sync.text()
    assert "session so far: above chance (p 0.010)" in full.status.sync.text()
    assert full.status.titles["co-therapist"].text() == "Co-therapist"


def test_a_marker_names_the_people_chosen_and_is_drawn_with_their_names(qtbot) -> None:
    window = _window(qtbot, 4)
    assert window.who_bar.isVisible() and list(window.who_bar.buttons) == list(window.model.keys)
    window.who_bar.toggle(0)
    window.who_bar.toggle(1)
    marker_id = window.add_marker("rupture-confrontation")
    marker = next(m for m in window.model.visible_markers() if m.id == marker_id)
    assert marker.who == ("client", "partner")
    assert not any(b.isChecked() for b in window.who_bar.buttons.values())  # cleared
    window.redraw(force=True)
    line = window.calm_group.marker_layer.lines[marker_id][0]
    assert line.label.textItem.toPlainText() == "C · Client & Partner"
    # Nobody chosen: the marker is about the session, as a dyad's.
    other = window.add_marker("repair")
    assert next(m for m in window.model.visible_markers() if m.id == other).who == ()
    window.end_without_asking()


def test_a_dyad_window_shows_no_group_parts(qtbot) -> None:
    window = LiveWindow(None, UNUSED_INPUT)
    qtbot.addWidget(window)
    window.show()
    for msg in synthetic_session(120):
        window.model.ingest(msg)
    window.redraw(force=True)
    assert window.stack.currentWidget() is window.calm
    assert not window.who_bar.isVisible() and not window.full.pair_table.isVisible()
    marker_id = window.add_marker("repair")
    sent = next(m for m in window.model.visible_markers() if m.id == marker_id)
    assert sent.who == ()
    window.end_without_asking()


def test_a_group_session_message_switches_an_open_window(qtbot) -> None:
    """A window opened before the session message (a viewer) follows the people it names."""
    window = LiveWindow(None)
    qtbot.addWidget(window)
    window.show()
    window.redraw()
    assert window.stack.currentWidget() is window.calm
    meta = ppl.people_meta(ppl.demo_people(3))
    window.model.ingest(make_message("session", "session", 1, 0, meta))
    window.redraw()
    assert window.stack.currentWidget() is window.calm_group
    assert isinstance(window.calm_group.panels["partner"], QtWidgets.QFrame)


def test_a_group_recording_reviews_in_the_group_views(qtbot, tmp_path) -> None:
    from coregulate.ui.review_window import ReviewWindow
    from review_support import FileBuilder

    builder = FileBuilder()
    for msg in synthetic_group_session(240, GroupStory.demo(4)):
        builder.add(msg.topic, msg.json(), msg.t_ns, msg.source)
    rupture = marker_payload("rupture-confrontation", 100 * NS, who=["client", "partner"])
    builder.add("marker", rupture, 100 * NS, "ui-1")
    window = ReviewWindow(builder.write(tmp_path / "group.sqlite"), view="calm")
    listed = window.session_list.item(0).text()
    assert listed.endswith("rupture: confrontation (Client & Partner)"), listed
    qtbot.addWidget(window)
    window.show()
    window.seek(200 * NS)
    window.redraw(force=True)
    assert window.stack.currentWidget() is window.calm_group
    assert _shown_tiles(window) == ["client", "partner", "therapist", "co-therapist"]
    window.set_view("full")
    assert window.full.pair_table.rowCount() == 6 and window.full.pair_table.isVisible()


def test_the_baseline_menu_offers_each_person_of_the_session(qtbot) -> None:
    window = _window(qtbot, 4)
    names = [a.text() for a in window.baseline_menu.actions()]
    assert names == ["Client", "Partner", "Therapist", "Co-therapist", "Everyone"]
    dyad = LiveWindow(None, UNUSED_INPUT)
    qtbot.addWidget(dyad)
    assert [a.text() for a in dyad.baseline_menu.actions()] == ["Client", "Therapist", "Both"]
    window.end_without_asking()
    dyad.end_without_asking()


def test_a_couple_without_a_therapist_strap_gets_tiles_and_their_names(qtbot) -> None:
    """Two people who are not client and therapist: tiles, and their pair said as a dyad's."""
    window = LiveWindow(None)
    qtbot.addWidget(window)
    window.show()
    couple = (ppl.make_person("client"), ppl.make_person("partner"))
    window.model.ingest(make_message("session", "session", 1, 0, ppl.people_meta(couple)))
    for msg in synthetic_session(300):  # the dyad's messages, the therapist's as the partner's
        topic = msg.topic.replace("therapist", "partner")
        window.model.ingest(make_message(topic, msg.source, msg.seq, msg.t_ns, msg.json()))
    window.redraw(force=True)
    assert window.stack.currentWidget() is window.calm_group
    assert _shown_tiles(window) == ["client", "partner"]
    assert window.calm_group.sync_text.text().startswith("HR synchrony, last 2 min\nr ")
    assert "therapist" not in window.calm_group.sync_text.text()
    assert window.calm_group.sync_strip.plot.getAxis("left").labelText == "HR sync r"
    window.set_view("full")
    title = window.full.plots["sync_lag"].titleLabel.text
    assert title == "Lag of the peak: + partner leads, − client leads"
    assert "partner leads" in window.full.status.sync.text()
    assert not window.full.pair_table.isVisible()


@pytest.mark.parametrize("view", ["calm", "full"])
def test_six_people_fit_a_1280x800_window(qtbot, view) -> None:
    window = _window(qtbot, 6)
    window.set_view(view)
    window.who_bar.toggle(5)
    window.resize(1280, 800)
    QtWidgets.QApplication.processEvents()
    assert window.width() <= 1280 and window.height() <= 800, window.size()
    hint = window.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 800, hint


def test_view_command_hides_the_therapists_with_its_flag(qtbot, monkeypatch) -> None:
    import coregulate.ui.live_window as live_window
    from coregulate.cli import build_parser
    from coregulate.commands import view

    opened: list[dict] = []

    class Recorder(QtWidgets.QWidget):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__()
            opened.append(kwargs)

    monkeypatch.setattr(live_window, "LiveWindow", Recorder)
    monkeypatch.setattr(QtWidgets.QApplication, "exec", lambda self: 0)
    # `view` sets its own SIGINT/SIGTERM handlers: not in the test process.
    monkeypatch.setattr(signal, "signal", lambda *a: None)
    args = build_parser().parse_args(["view", "--output", "tcp://127.0.0.1:9", "--hide-therapists"])
    assert view.run(args) == 0
    assert opened[-1]["hide_therapists"] is True
    args = build_parser().parse_args(["view", "--output", "tcp://127.0.0.1:9"])
    assert view.run(args) == 0 and opened[-1]["hide_therapists"] is False


def test_the_ors_asks_whose_form_with_several_clients(qtbot) -> None:
    from PySide6 import QtCore

    window = _window(qtbot, 3)
    menu = window.ors_action.menu()
    assert [a.text() for a in menu.actions()] == ["ORS for Client", "ORS for Partner"]
    menu.actions()[1].trigger()
    dialog = window._rating_dialog
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Your rating (Partner)"
    form = dialog.forms[0]
    form.resize(800, 500)
    qtbot.waitExposed(form)
    for line in form.lines:
        qtbot.mouseClick(line, QtCore.Qt.LeftButton, pos=QtCore.QPoint(line.x_for(6.0), 20))
    sent = []
    dialog.rated.connect(sent.append)
    qtbot.mouseClick(form.done_button, QtCore.Qt.LeftButton)
    assert sent and sent[0]["person"] == "partner" and sent[0]["instrument"] == "ORS"
    dyad = LiveWindow(None, UNUSED_INPUT)
    qtbot.addWidget(dyad)
    assert dyad.ors_action.menu() is None and dyad.ors_action.text() == "ORS for the client"
    window.end_without_asking()
    dyad.end_without_asking()


def test_each_client_is_handed_their_own_srs_at_the_end(qtbot, hub_thread) -> None:
    from PySide6 import QtCore

    from coregulate.sessionfile.access import read_messages
    from coregulate.ui.end_of_session import EndOfSession
    from coregulate.ui.rating_panel import RatingsPanel

    hub_thread.start()
    end = EndOfSession(None, "c-1", hub_thread.endpoints.input, 5 * NS, ("client", "partner"))
    panel = RatingsPanel(end)
    qtbot.addWidget(panel)
    assert [b.text() for b in panel.buttons.values()] == [
        "Hand the SRS to Client",
        "Hand the SRS to Partner",
    ]
    for person, value in (("partner", 7.0), ("client", 9.0)):
        panel.buttons[person].click()
        dialog = panel.dialog
        qtbot.addWidget(dialog)
        for line in dialog.forms[0].lines:
            line.set_value(value)
        with qtbot.waitSignal(dialog.finished):
            qtbot.mouseClick(dialog.forms[0].done_button, QtCore.Qt.LeftButton)
        assert not panel.buttons[person].isEnabled()
    hub_thread.stop()
    stored = [m.json() for m in read_messages(hub_thread.path, ("rating",))]
    assert [(r["person"], r["total"]) for r in stored] == [("partner", 28.0), ("client", 36.0)]
    # The dyad's end: one button, as before.
    dyad = RatingsPanel(EndOfSession(None, "c-1", None, 5 * NS))
    qtbot.addWidget(dyad)
    assert [b.text() for b in dyad.buttons.values()] == ["Hand the SRS to the client"]
