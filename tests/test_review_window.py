"""Trainee replay review (pytest-qt, offscreen): the live window's views play a recording;
"next marker" reaches the marker; review notes land in the review file, never the recording."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PySide6 import QtCore

from coregulate.cli import main
from coregulate.commands._exit_codes import BAD_INPUT
from coregulate.review.review_file import read_annotations, review_path
from coregulate.ui.review_window import ReviewWindow
from review_support import NS, FileBuilder


def _recording(path: Path) -> Path:
    """300 s: metrics every second; markers at 60 s (repair), 150 s (rupture) and 200 s
    (a note retracted at 210 s, so not shown)."""
    b = FileBuilder()
    b.add(
        "session",
        {
            "client_id": "c-1",
            "clock": {"wall_anchor_ns": 0, "monotonic_anchor_ns": 0, "speed": 1.0},
        },
        0,
        "session",
    )
    for t in range(1, 301):
        for role in ("client", "therapist"):
            b.add(
                f"metrics.{role}",
                {
                    "t_ns": t * NS,
                    "hr_bpm": 70.0 + (role == "client"),
                    "ln_rmssd": 3.5,
                    "arousal_index": 0.0,
                    "state": "settled",
                    "unavailable": {},
                },
                t * NS,
                "signal",
            )
    b.add(
        "marker", {"id": "a" * 32, "kind": "repair", "t_ns": 60 * NS, "text": None}, 60 * NS, "ui-1"
    )
    b.add(
        "marker",
        {"id": "b" * 32, "kind": "rupture-withdrawal", "t_ns": 150 * NS, "text": None},
        150 * NS,
        "ui-1",
    )
    b.add(
        "marker", {"id": "c" * 32, "kind": "note", "t_ns": 200 * NS, "text": "x"}, 200 * NS, "ui-1"
    )
    b.add(
        "marker",
        {"id": "d" * 32, "kind": "retraction", "t_ns": 210 * NS, "retracts": "c" * 32},
        210 * NS,
        "ui-1",
    )
    return b.write(path)


HALF_S = 60.0  # these tests' review window: ±1 min around the playhead


def _last_t_s(window: ReviewWindow) -> float:
    """Return the time of the newest metrics the views *say* (the playhead's)."""
    return float(window.model.people["client"].latest["_t_s"])


def _held_until_s(window: ReviewWindow) -> float:
    """Return the newest metrics the plots hold: up to `HALF_S` after the playhead."""
    return float(window.model.people["client"].metrics.t_s[-1])


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def window(qtbot, tmp_path: Path) -> ReviewWindow:
    w = ReviewWindow(_recording(tmp_path / "rec.sqlite"), author="trainee", half_window_s=HALF_S)
    qtbot.addWidget(w)
    w.show()
    return w


def test_next_and_previous_marker_reach_the_markers(window, qtbot) -> None:
    assert window.player.position_ns == 0 and window.model.people["client"].latest == {}
    qtbot.keyClick(window, QtCore.Qt.Key_BracketRight)  # "]" = next marker
    assert window.player.position_ns == 60 * NS
    # The views say the moment of the marker; the plots also hold the minute after it
    # (issue 14 item 7: a jump must show what follows a rupture).
    assert _last_t_s(window) == 60.0 and _held_until_s(window) == 120.0
    assert window.next_marker() == 150 * NS
    assert _last_t_s(window) == 150.0 and _held_until_s(window) == 210.0
    assert window.next_marker() is None  # the 200 s note was retracted in the session
    assert window.previous_marker() == 60 * NS
    assert _last_t_s(window) == 60.0  # going back rebuilds the views up to 60 s
    assert _held_until_s(window) == 120.0
    assert [window.session_list.item(i).text() for i in range(2)] == [
        "1:00  repair",
        "2:30  rupture: withdrawal",
    ]


def test_play_pause_speed_and_scrub(window) -> None:
    window.player.set_speed(16.0)
    window.toggle_play()
    window.player.advance(2.0)  # two seconds of playing at 16x
    assert window.player.position_ns == 32 * NS and _last_t_s(window) == 32.0
    assert _held_until_s(window) == 92.0
    window.toggle_play()
    window.player.advance(5.0)  # paused: nothing moves
    assert window.player.position_ns == 32 * NS
    window.seek(250 * NS)
    assert _last_t_s(window) == 250.0 and window.slider.value() == 250
    window.seek(10 * NS)
    assert _last_t_s(window) == 10.0
    with pytest.raises(ValueError, match=r"between 0\.5 and 16x"):
        window.player.set_speed(32.0)
    window.player.set_speed(0.5)
    window.toggle_play()
    window.player.advance(4.0)
    assert window.player.position_ns == 12 * NS


def test_review_note_goes_to_the_review_file_not_the_recording(window, qtbot) -> None:
    recording = window.recording
    before = _digest(recording)
    window.seek(100 * NS)
    qtbot.keyClicks(window.note_edit, "client looks away before the rupture")
    qtbot.keyClick(window.note_edit, QtCore.Qt.Key_Return)
    notes, problems = read_annotations(recording)
    assert problems == []
    assert [(n.t_ns, n.text, n.author) for n in notes] == [
        (100 * NS, "client looks away before the rupture", "trainee")
    ]
    assert review_path(recording).name == "rec.sqlite.review.jsonl"
    assert _digest(recording) == before  # the recording is untouched
    assert (
        window.review_list.item(0).text() == "1:40  client looks away before the rupture (trainee)"
    )
    window.seek(70 * NS)
    assert window.next_marker() == 100 * NS  # review notes are jump targets too


def test_review_file_lines_that_cannot_be_read_are_reported(tmp_path: Path) -> None:
    rec = _recording(tmp_path / "rec.sqlite")
    review_path(rec).write_text(
        '{"format": "coregulate.review", "id": "1", "t_ns": 5, "text": "ok"}\nnot json\n'
    )
    notes, problems = read_annotations(rec)
    assert [n.text for n in notes] == ["ok"]
    assert len(problems) == 1 and "line 2: skipped" in problems[0]


def test_review_command_refuses_a_missing_file(tmp_path: Path, caplog) -> None:
    assert main(["review", str(tmp_path / "none.sqlite")]) == BAD_INPUT
    assert "no such session file" in caplog.text


def test_ratings_appear_on_the_timelines(qtbot, tmp_path: Path) -> None:
    from coregulate.alliance import score
    from coregulate.alliance.instruments import SRS
    from coregulate.alliance.rating import rating_payload

    b = FileBuilder()
    for t in range(1, 61):
        b.add("metrics.client", {"t_ns": t * NS, "hr_bpm": 70.0, "unavailable": {}}, t * NS, "s")
    payload = rating_payload(score(SRS, [9, 9, 9, 8.5]), "client", "end", 50 * NS)
    b.add("rating", payload, 50 * NS, "rating")
    # A short review window, so that at 40 s the rating at 50 s is still ahead of it.
    w = ReviewWindow(b.write(tmp_path / "r.sqlite"), half_window_s=5.0)
    qtbot.addWidget(w)
    w.seek(40 * NS)
    assert w.model.ratings == [] and not w.full.rating_layer.lines
    w.seek(60 * NS)
    assert [p["total"] for _, p in w.model.ratings] == [35.5]
    for view in (w.calm, w.full):
        view.redraw() if view is w.calm else view.redraw(force=True)
        (row,) = view.rating_layer.lines
        assert row[0].value() == 50 / 60  # minutes
        assert row[0].label.format == "SRS 35.5 ⚑"


def test_a_jump_to_a_marker_centres_it_with_what_follows(window, qtbot) -> None:
    """Issue 14 item 7: the playhead in the middle of a ±HALF_S window, data after it."""
    window.set_view("full")
    window.resize(1280, 800)
    assert window.next_marker() == 60 * NS
    assert window.next_marker() == 150 * NS
    qtbot.wait(50)
    for view, plots in (
        (window.full, list(window.full.plots.values())),
        (window.calm, window.calm._plots),
    ):
        if view is window.calm:
            window.set_view("calm")
        lo, hi = plots[0].viewRange()[0]
        assert (lo + hi) / 2 == pytest.approx(150 / 60, abs=1e-3)  # centred on the marker
        assert hi - lo == pytest.approx(2 * HALF_S / 60, rel=0.05)
        assert {line.value() for line in view.playhead.lines} == {150 / 60}
        assert all(line.isVisible() for line in view.playhead.lines)
        (marker_line, *_) = view.marker_layer.lines["b" * 32]
        assert marker_line.value() == 150 / 60
    # The curve reaches past the marker to the window's right edge (what followed).
    x, _ = window.full.curves[("client", "hr_bpm")].getData()
    assert x.max() == pytest.approx(210 / 60)
    # ...while the words say the moment of the marker, not the future.
    assert window.model.people["client"].latest["_t_s"] == 150.0


def test_review_notes_are_drawn_and_ticked_on_the_scrub_bar(window) -> None:
    window.seek(100 * NS)
    window.add_note("looks away")
    for layer in window.note_layers:
        (lines,) = layer.lines.values()
        assert lines[0].value() == 100 / 60 and lines[0].label.format.startswith("review")
    ticks = {(round(t), label) for t, _, label in window.slider.ticks}
    assert ticks == {(60, "repair"), (150, "rupture: withdrawal"), (100, "review note: looks away")}
    xs = [window.slider.tick_x(t) for t in (60, 100, 150)]
    assert xs == sorted(xs) and len(set(xs)) == 3  # in time order along the bar
    assert "2:30  rupture: withdrawal" in window.slider.toolTip()


def test_review_offers_no_live_actions_and_disabled_controls_look_disabled(window) -> None:
    from PySide6 import QtGui, QtWidgets

    texts = []
    for bar in window.findChildren(QtWidgets.QToolBar):
        texts += [a.text() for a in bar.actions()]
        texts += [w.text() for w in bar.findChildren(QtWidgets.QAbstractButton)]
    assert not any("baseline" in t.lower() or "ORS" in t for t in texts), texts
    assert window.ors_action is None and window.marker_bar.isHidden()
    # At the start there is nothing before: "previous marker" is off, and looks it.
    assert not window.prev_button.isEnabled() and window.next_button.isEnabled()
    pal = window.prev_button.palette()
    role = QtGui.QPalette.ColorRole.ButtonText
    off = pal.color(QtGui.QPalette.ColorGroup.Disabled, role)
    on = pal.color(QtGui.QPalette.ColorGroup.Active, role)
    ground = pal.color(QtGui.QPalette.ColorGroup.Active, QtGui.QPalette.ColorRole.Button)
    from coregulate.palette import contrast_ratio

    assert contrast_ratio(off.name(), ground.name()) < contrast_ratio(on.name(), ground.name()) / 2
    window.seek(300 * NS)
    assert window.prev_button.isEnabled() and not window.next_button.isEnabled()


@pytest.mark.parametrize("bad", ["0", "90", "three"])
def test_review_window_minutes_are_checked(tmp_path: Path, bad: str, capsys) -> None:
    rec = _recording(tmp_path / "rec.sqlite")
    with pytest.raises(SystemExit) as stop:
        main(["review", str(rec), "--window-min", bad])
    assert stop.value.code != 0
    assert "--window-min" in capsys.readouterr().err
