"""Session flow widgets: the start dialog, the end-of-session dialog and its extension point."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6 import QtCore, QtGui, QtWidgets

from coregulate.clients import ClientIdError, check_client_id, known_clients, remember_client
from coregulate.ui import end_of_session
from coregulate.ui.end_of_session import EndOfSession, EndOfSessionDialog
from coregulate.ui.help_panel import HELP_HTML
from coregulate.ui.start_dialog import StartDialog


def test_start_dialog_refuses_a_name_and_returns_the_choices(qtbot) -> None:
    dialog = StartDialog()
    qtbot.addWidget(dialog)
    assert not dialog.straps.isEnabled() and "acquisition" in dialog.straps.toolTip()
    dialog.client.setEditText("Jane Doe")
    dialog._accept()
    assert dialog.result() != QtWidgets.QDialog.DialogCode.Accepted
    assert "never the client's name" in dialog.error.text()
    dialog.client.setEditText("C-0417")
    dialog.baseline.setChecked(False)
    dialog._accept()
    assert dialog.result() == QtWidgets.QDialog.DialogCode.Accepted
    choices = dialog.choices()
    assert (choices.client_id, choices.simulated, choices.baseline) == ("C-0417", True, False)


def test_known_clients_are_remembered_owner_only_most_recent_first(tmp_path: Path) -> None:
    path = tmp_path / "clients.json"
    remember_client("C-1", path)
    remember_client("C-2", path)
    remember_client("C-1", path)
    assert known_clients(path) == ["C-1", "C-2"]
    assert path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(ClientIdError):
        check_client_id("")


def test_end_of_session_shows_the_file_and_registered_panels(qtbot, monkeypatch) -> None:
    end = EndOfSession(Path("s.sqlite"), "C-0417", None, 3_000_000_000_000)
    dialog = EndOfSessionDialog(end)
    qtbot.addWidget(dialog)
    assert "s.sqlite" in dialog.where.text()
    labels = [w.text() for w in dialog.findChildren(QtWidgets.QLabel)]
    assert any("not installed" in t for t in labels)  # says so; no form that records nothing
    seen = []

    def ratings_panel(e: EndOfSession) -> QtWidgets.QWidget:
        seen.append(e)
        return QtWidgets.QLabel("SRS form here")

    monkeypatch.setattr(end_of_session, "_PANELS", [])
    end_of_session.register_end_of_session_panel(ratings_panel)
    dialog = EndOfSessionDialog(end)
    qtbot.addWidget(dialog)
    labels = [w.text() for w in dialog.findChildren(QtWidgets.QLabel)]
    assert "SRS form here" in labels and not any("not installed" in t for t in labels)
    assert seen == [end]


def test_help_names_every_key_and_says_not_a_diagnosis() -> None:
    keys = (
        "<b>W</b>",
        "<b>C</b>",
        "<b>R</b>",
        "<b>N</b>",
        "Ctrl+Z",
        "<b>F2</b>",
        "<b>F3</b>",
        "F1",
    )
    for key in keys:
        assert key in HELP_HTML
    assert "not a diagnosis" in HELP_HTML and "not a goal" in HELP_HTML


def _answer(qtbot, button_text: str, asked: list[str]) -> None:
    """Click `button_text` in the confirmation box once it is shown."""

    def click() -> None:
        box = QtWidgets.QApplication.activeModalWidget()
        assert isinstance(box, QtWidgets.QMessageBox)
        asked.append(box.text())
        next(b for b in box.buttons() if b.text() == button_text).click()

    QtCore.QTimer.singleShot(50, click)


def test_ending_a_session_always_asks_and_a_viewer_closes_without_asking(qtbot) -> None:
    from coregulate.ui.live_window import LiveWindow

    window = LiveWindow(None, can_end=True)
    qtbot.addWidget(window)
    window.show()
    ended: list[bool] = []
    window.end_requested.connect(lambda: ended.append(True))
    asked: list[str] = []
    # The close button asks; "Keep recording" keeps the window and the session.
    _answer(qtbot, "Keep recording", asked)
    window.close()
    assert asked == ["End this session? The recording stops."]
    assert window.isVisible() and not ended
    # "End session" in the toolbar asks the same question; ending it closes the window.
    end_action = next(a for a in window.findChildren(QtGui.QAction) if a.text() == "End session")
    _answer(qtbot, "End session", asked)
    end_action.trigger()
    assert len(asked) == 2 and ended == [True] and not window.isVisible()
    # A viewer (`coregulate view`) never ends a recording: it closes without a question.
    viewer = LiveWindow(None)
    qtbot.addWidget(viewer)
    viewer.show()
    viewer.close()
    assert not viewer.isVisible() and len(asked) == 2
    # Ctrl-C or a failed session closes the owning window without a question.
    owner = LiveWindow(None, can_end=True)
    qtbot.addWidget(owner)
    owner.show()
    owner.end_without_asking()
    assert not owner.isVisible() and len(asked) == 2
