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


def _last_t_s(window: ReviewWindow) -> float:
    return float(window.model.people["client"].metrics.t_s[-1])


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def window(qtbot, tmp_path: Path) -> ReviewWindow:
    w = ReviewWindow(_recording(tmp_path / "rec.sqlite"), author="trainee")
    qtbot.addWidget(w)
    w.show()
    return w


def test_next_and_previous_marker_reach_the_markers(window, qtbot) -> None:
    assert window.player.position_ns == 0 and len(window.model.people["client"].metrics) == 0
    qtbot.keyClick(window, QtCore.Qt.Key_BracketRight)  # "]" = next marker
    assert window.player.position_ns == 60 * NS
    assert _last_t_s(window) == 60.0  # the views show the session up to the marker, no later
    assert window.next_marker() == 150 * NS
    assert _last_t_s(window) == 150.0
    assert window.next_marker() is None  # the 200 s note was retracted in the session
    assert window.previous_marker() == 60 * NS
    assert _last_t_s(window) == 60.0  # going back rebuilds the views up to 60 s
    assert [window.session_list.item(i).text() for i in range(2)] == [
        "1:00  repair",
        "2:30  rupture: withdrawal",
    ]


def test_play_pause_speed_and_scrub(window) -> None:
    window.player.set_speed(16.0)
    window.toggle_play()
    window.player.advance(2.0)  # two seconds of playing at 16x
    assert window.player.position_ns == 32 * NS and _last_t_s(window) == 32.0
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
    w = ReviewWindow(b.write(tmp_path / "r.sqlite"))
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
