"""`coregulate rate FILE`: attaches to the running session in FILE, refuses a finished one."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from coregulate.alliance.attach import running_session
from coregulate.alliance.schedule import session_number
from coregulate.bus.producer import BusProducer
from coregulate.cli import main
from coregulate.clock import SessionClock
from coregulate.commands._exit_codes import BAD_INPUT, FAILED
from coregulate.sessionfile.access import read_messages
from coregulate.ui.rating_entry import RatingDialog
from review_support import session_file


def _start_session(hub_thread, client_id: str = "c-9") -> SessionClock:
    hub_thread.start()
    clock = SessionClock.start()
    producer = BusProducer(hub_thread.endpoints.input, "session")
    producer.send(
        "session",
        {
            "clock": clock.to_dict(),
            "endpoints": [hub_thread.endpoints.input, hub_thread.endpoints.output],
            "client_id": client_id,
        },
        0,
    )
    assert producer.flush(timeout_s=10)
    producer.close()
    return clock


def test_rate_sends_the_due_forms_to_the_running_session(qtbot, hub_thread, capsys) -> None:
    # Three earlier sessions of the same client in the folder: this is session 4,
    # so the WAI-SR is due with the SRS at the end (every 4th session by default).
    for k in range(3):
        session_file(
            hub_thread.path.parent / f"old{k}.sqlite",
            client_id="c-9",
            wall_anchor_ns=1_600_000_000_000_000_000 + k,
        )
    clock = _start_session(hub_thread)
    session = running_session(hub_thread.path)
    assert (session.client_id, session.clock) == ("c-9", clock)
    assert session_number(session.path, session.client_id) == 4

    def fill_in() -> None:
        dialog = next(
            w
            for w in QtWidgets.QApplication.topLevelWidgets()
            if isinstance(w, RatingDialog) and w.isVisible()
        )
        srs, wai = dialog.forms
        for line in srs.lines:
            line.set_value(9.5)
        qtbot.mouseClick(srs.done_button, QtCore.Qt.LeftButton)
        for group in wai.choices:
            qtbot.mouseClick(group.button(5), QtCore.Qt.LeftButton)
        qtbot.mouseClick(wai.done_button, QtCore.Qt.LeftButton)

    QtCore.QTimer.singleShot(300, fill_in)
    assert main(["rate", str(hub_thread.path), "--phase", "end"]) == 0
    hub_thread.stop()
    printed = capsys.readouterr().out
    assert "SRS total 38" in printed and "WAI-SR total 60" in printed
    ratings = [m for m in read_messages(hub_thread.path, ("rating",))]
    assert [m.json()["instrument"] for m in ratings] == ["SRS", "WAI-SR"]
    assert {m.json()["session_number"] for m in ratings} == {4}
    assert all(0 < m.t_ns <= clock.now_ns() for m in ratings)
    status = [m.json() for m in read_messages(hub_thread.path, ("status.rating",))]
    assert status == [{"status": "form open"}]


def test_rate_refuses_a_finished_session(hub_thread, caplog) -> None:
    _start_session(hub_thread)
    hub_thread.stop()  # the session has ended: nobody is listening
    assert main(["rate", str(hub_thread.path)]) == FAILED
    assert "is not running" in caplog.text
    assert not list(read_messages(hub_thread.path, ("rating", "status.rating")))


def test_rate_errors(tmp_path: Path, caplog) -> None:
    assert main(["rate", str(tmp_path / "none.sqlite")]) == BAD_INPUT
    assert "no such session file" in caplog.text
    bad = tmp_path / "w.toml"
    bad.write_text("[SRS\n")
    assert main(["rate", str(tmp_path / "none.sqlite"), "--wording", str(bad)]) == BAD_INPUT
    assert "is not valid TOML" in caplog.text


def test_ors_from_rate_and_srs_from_the_panel_are_both_recorded(qtbot, hub_thread) -> None:
    # The documented flow: the ORS at the start through `coregulate rate`, the SRS at
    # the end through the end-of-session panel, in one session. Each sender starts its
    # seq at 1; sharing one source name made the hub take the SRS for a repeat.
    from coregulate.ui.end_of_session import EndOfSession as End
    from coregulate.ui.rating_panel import ratings_panel

    _start_session(hub_thread)

    def fill_in_ors() -> None:
        dialog = next(
            w
            for w in QtWidgets.QApplication.topLevelWidgets()
            if isinstance(w, RatingDialog) and w.isVisible()
        )
        (ors,) = dialog.forms
        for line in ors.lines:
            line.set_value(6.0)
        qtbot.mouseClick(ors.done_button, QtCore.Qt.LeftButton)

    QtCore.QTimer.singleShot(300, fill_in_ors)
    assert main(["rate", str(hub_thread.path), "--phase", "start"]) == 0

    panel = ratings_panel(End(None, "", hub_thread.endpoints.input, 7_000_000_000))
    qtbot.addWidget(panel)
    dialog = panel.open_forms()
    qtbot.addWidget(dialog)
    for line in dialog.forms[0].lines:
        line.set_value(8.0)
    with qtbot.waitSignal(dialog.finished):
        qtbot.mouseClick(dialog.forms[0].done_button, QtCore.Qt.LeftButton)
    assert "NOT confirmed" not in panel.result.text()
    hub_thread.stop()

    ratings = list(read_messages(hub_thread.path, ("rating",)))
    assert [m.json()["instrument"] for m in ratings] == ["ORS", "SRS"]
    assert [m.json()["total"] for m in ratings] == [24, 32]
    sources = {m.source for m in ratings}
    assert len(sources) == 2 and all(s.startswith("rating-") for s in sources)
