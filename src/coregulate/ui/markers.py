"""Markers: their keys, labels and payloads, and the bar of buttons that makes them.

One keystroke each (docs/protocol.md `marker`). The note opens a small text field;
the marker's time is the moment N was pressed (what the therapist noticed), not
when the text was finished. The field gives focus back after Enter, Escape, or
`NOTE_IDLE_MS` without typing, so the marker keys keep working.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Final

from PySide6 import QtCore, QtWidgets

from coregulate.palette import MARKER_COLOURS
from coregulate.sessionfile.markers import MARKER_KINDS, RETRACTION, kind_label


@dataclass(frozen=True, slots=True)
class MarkerKind:
    """How one kind of marker is made and drawn."""

    kind: str
    key: str
    label: str
    letter: str  # drawn beside the line: colour is never the only cue
    colour: str


# The key that makes each kind of marker; the same letter is drawn beside its line.
KIND_KEYS: Final = {
    "rupture-withdrawal": "W",
    "rupture-confrontation": "C",
    "repair": "R",
    "note": "N",
}
KINDS: Final = tuple(
    MarkerKind(
        kind,
        key=KIND_KEYS[kind],
        label=kind_label(kind).capitalize(),  # "Rupture: withdrawal"
        letter=KIND_KEYS[kind],
        colour=MARKER_COLOURS[kind],
    )
    for kind in MARKER_KINDS
)
BY_KIND: Final = {k.kind: k for k in KINDS}
UNDO_KEY: Final = "Ctrl+Z"
# Mode changes sit on F-keys, away from the letters that mark: a slip of a finger
# from R (repair) or C (confrontation) must never switch the theme or the view.
VIEW_KEY: Final = "F2"
THEME_KEY: Final = "F3"
HELP_KEY: Final = "F1"
NOTE_IDLE_MS: Final = 15_000
MAX_NOTE_CHARS: Final = 500


def new_marker_id() -> str:
    """Return a fresh marker id (random, 32 hex digits)."""
    return uuid.uuid4().hex


def marker_payload(
    kind: str, t_ns: int, text: str = "", marker_id: str | None = None
) -> dict[str, Any]:
    """Return the `marker` payload for a new marker of `kind` at session time `t_ns`."""
    if kind not in BY_KIND:
        raise ValueError(f"unknown marker kind {kind!r}; one of {', '.join(BY_KIND)}")
    return {
        "id": marker_id or new_marker_id(),
        "kind": kind,
        "t_ns": int(t_ns),
        "text": text[:MAX_NOTE_CHARS] if kind == "note" else None,
    }


def retraction_payload(retracts: str, t_ns: int) -> dict[str, Any]:
    """Return the `marker` payload that withdraws marker `retracts` (undo)."""
    return {"id": new_marker_id(), "kind": RETRACTION, "t_ns": int(t_ns), "retracts": retracts}


class MarkerBar(QtWidgets.QWidget):
    """Buttons for the markers, an undo button and the note field.

    Signals
    -------
    marked(kind, text, t_ns)
        A marker was asked for; `t_ns` is -1 unless the note field fixed it earlier.
    undo()
        The last marker should be withdrawn.
    """

    marked = QtCore.Signal(str, str, object)  # t_ns exceeds a C int
    undo = QtCore.Signal()

    def __init__(self, now_ns: Any, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._now_ns = now_ns
        self._note_t_ns = -1
        self._return_focus: QtWidgets.QWidget | None = None
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        self.buttons: dict[str, QtWidgets.QPushButton] = {}
        for k in KINDS:
            button = QtWidgets.QPushButton(f"{k.label}  [{k.key}]")
            button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)  # keys stay with the window
            button.setStyleSheet(
                f"QPushButton {{ border-left: 6px solid {k.colour}; padding: 6px 10px; }}"
            )
            button.setToolTip(f"Mark '{k.label.lower()}' now (key {k.key})")
            button.clicked.connect(lambda _=False, kind=k.kind: self.trigger(kind))
            layout.addWidget(button)
            self.buttons[k.kind] = button
        self.note = QtWidgets.QLineEdit()
        self.note.setPlaceholderText("note text, Enter to save, Esc to cancel")
        self.note.setMaxLength(MAX_NOTE_CHARS)
        self.note.setVisible(False)
        self.note.returnPressed.connect(self._note_done)
        self.note.textEdited.connect(lambda _: self._idle.start(NOTE_IDLE_MS))
        layout.addWidget(self.note, 1)
        layout.addStretch(0)
        self.undo_button = QtWidgets.QPushButton(f"Undo last marker  [{UNDO_KEY}]")
        self.undo_button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.undo_button.clicked.connect(self.undo.emit)
        layout.addWidget(self.undo_button)
        self._idle = QtCore.QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.timeout.connect(self._note_done)
        self.note.installEventFilter(self)

    def trigger(self, kind: str) -> None:
        """Make a marker of `kind` now; a note opens the text field first."""
        if kind != "note":
            self.marked.emit(kind, "", -1)
            return
        self._note_t_ns = int(self._now_ns())
        self._return_focus = QtWidgets.QApplication.focusWidget()
        self.note.setVisible(True)
        self.note.setFocus()
        self._idle.start(NOTE_IDLE_MS)

    def _note_done(self) -> None:
        """Publish the note (even if empty: the moment was marked) and give focus back."""
        if self._note_t_ns < 0:
            return
        self.marked.emit("note", self.note.text().strip(), self._note_t_ns)
        self._close_note()

    def cancel_note(self) -> None:
        """Close the note field without a marker."""
        self._close_note()

    def _close_note(self) -> None:
        self._idle.stop()
        self._note_t_ns = -1
        self.note.clear()
        self.note.setVisible(False)
        if self._return_focus is not None:
            self._return_focus.setFocus()
        else:
            self.window().setFocus()

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:
        """Escape in the note field cancels it."""
        if (
            obj is self.note
            and event.type() == QtCore.QEvent.Type.KeyPress
            and event.key() == QtCore.Qt.Key.Key_Escape  # type: ignore[attr-defined]
        ):
            self.cancel_note()
            return True
        return super().eventFilter(obj, event)
