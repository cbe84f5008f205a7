"""The end-of-session dialog: where the file is, and the extension point for ratings.

Extension point for the alliance issue: `register_end_of_session_panel(factory)`.
Each registered factory is called with an `EndOfSession` and returns a widget (for
example the SRS form, which publishes `rating` messages itself) or None. With no
factory registered the dialog says that ratings are not installed; it never shows
a form that records nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6 import QtGui, QtWidgets


@dataclass(frozen=True, slots=True)
class EndOfSession:
    """What a panel at the end of a session may need."""

    session_file: Path | None
    client_id: str
    input_endpoint: str | None  # the hub's input, to publish ratings while it still runs
    t_ns: int  # session time at the end
    # The clients' keys when the session has several (a couple, a family): each is
    # handed their own forms (`person` in the rating). Empty: the dyad's one client.
    clients: tuple[str, ...] = ()


PanelFactory = Callable[[EndOfSession], QtWidgets.QWidget | None]
_PANELS: list[PanelFactory] = []


def register_end_of_session_panel(factory: PanelFactory) -> None:
    """Add a panel (e.g. alliance ratings) to every end-of-session dialog."""
    _PANELS.append(factory)


def end_of_session_panels() -> list[PanelFactory]:
    """Return the registered panel factories."""
    return list(_PANELS)


class EndOfSessionDialog(QtWidgets.QDialog):
    """Shows where the session file is and any registered end-of-session panels."""

    def __init__(self, end: EndOfSession, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("coregulate — session ended")
        layout = QtWidgets.QVBoxLayout(self)
        panels = [w for w in (f(end) for f in _PANELS) if w is not None]
        for widget in panels:
            layout.addWidget(widget)
        if not panels:
            layout.addWidget(
                QtWidgets.QLabel("Alliance ratings (e.g. SRS) are not installed in this build.")
            )
        where = str(end.session_file) if end.session_file else "no session file (viewer only)"
        self.where = QtWidgets.QLabel(f"The session is recorded in:\n{where}")
        self.where.setTextInteractionFlags(
            self.where.textInteractionFlags() | QtGui.Qt.TextInteractionFlag.TextSelectableByMouse
        )
        layout.addWidget(self.where)
        row = QtWidgets.QHBoxLayout()
        copy = QtWidgets.QPushButton("Copy path")
        copy.clicked.connect(lambda: QtGui.QGuiApplication.clipboard().setText(where))
        done = QtWidgets.QPushButton("Close")
        done.clicked.connect(self.accept)
        row.addWidget(copy)
        row.addStretch(1)
        row.addWidget(done)
        layout.addLayout(row)


def ask_to_end(parent: QtWidgets.QWidget) -> bool:
    """Ask whether to end the session; return True if the user chose to end it."""
    box = QtWidgets.QMessageBox(parent)
    box.setWindowTitle("End the session?")
    box.setIcon(QtWidgets.QMessageBox.Icon.Question)
    box.setText("End this session? The recording stops.")
    box.setInformativeText(
        "The session file keeps everything recorded so far; the end-of-session ratings follow."
    )
    end = box.addButton("End session", QtWidgets.QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton("Keep recording", QtWidgets.QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)  # Enter or Esc keep the session going
    box.setEscapeButton(keep)
    box.exec()
    return box.clickedButton() is end
