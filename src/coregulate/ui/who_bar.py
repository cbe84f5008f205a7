"""Whom a marker names, in a session of 3-6 people: toggles in the marker bar's row.

Press the people's toggles (or Alt+1...Alt+6), then the marker's key: the marker is
recorded with ``"who": [keys]`` (a rupture between the partners) and drawn with
their names. The toggles clear once the marker is made. Naming no one is fine
(the marker is about the session). A two-person session has no such row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from PySide6 import QtCore, QtWidgets

from coregulate.palette import person_name
from coregulate.signal.people import MIN_PEOPLE, Person

WHO_KEYS: Final = tuple(f"Alt+{i}" for i in range(1, 7))


class WhoBar(QtWidgets.QWidget):
    """Toggles, one per person, naming whom the next marker is about."""

    def __init__(self) -> None:
        super().__init__()
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 0)
        self.label = QtWidgets.QLabel("about:")
        self.label.setToolTip("Optional: whom the next marker names (a rupture between partners)")
        layout.addWidget(self.label)
        self._row = QtWidgets.QHBoxLayout()
        layout.addLayout(self._row)
        self.buttons: dict[str, QtWidgets.QPushButton] = {}
        self.keys: tuple[str, ...] = ()
        self._style = ""
        self.setVisible(False)

    def set_theme(self, theme: Any) -> None:
        """Small toggles (six fit beside the marker buttons at 1280 px); a chosen one is filled."""
        from coregulate.ui.theme import mix

        faded = mix(theme.muted, theme.panel, 0.55)  # as the marker buttons, disabled
        self._style = (
            f"QPushButton {{ background: {theme.panel}; color: {theme.foreground}; "
            f"border: 1px solid {theme.axis}; border-radius: 4px; padding: 4px 7px; }}"
            f"QPushButton:checked {{ background: {theme.foreground}; color: {theme.background}; }}"
            f"QPushButton:disabled {{ color: {faded}; border-color: {faded}; }}"
        )
        for button in self.buttons.values():
            button.setStyleSheet(self._style)

    def set_people(self, people: Sequence[Person]) -> None:
        """Offer a toggle per person (none, and hidden, for two people)."""
        keys = tuple(p.key for p in people)
        if keys == self.keys:
            return
        self.keys = keys
        for button in self.buttons.values():
            self._row.removeWidget(button)
            button.hide()  # at once: deleteLater waits for the event loop's next turn
            button.deleteLater()
        self.buttons = {}
        if len(keys) <= MIN_PEOPLE:
            self.setVisible(False)
            return
        for key, shortcut in zip(keys, WHO_KEYS, strict=False):
            button = QtWidgets.QPushButton(person_name(key))
            button.setCheckable(True)
            button.setStyleSheet(self._style)
            button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)  # keys stay with the window
            button.setToolTip(f"The next marker names {person_name(key)} ({shortcut})")
            self._row.addWidget(button)
            self.buttons[key] = button
        self.setVisible(True)

    def toggle(self, i: int) -> None:
        """Toggle the `i`-th person (0-based), if there is one."""
        if i < len(self.keys):
            button = self.buttons[self.keys[i]]
            button.setChecked(not button.isChecked())

    def take(self) -> list[str]:
        """Return the keys toggled on, in session order, and clear the toggles."""
        chosen = [k for k, b in self.buttons.items() if b.isChecked()]
        for button in self.buttons.values():
            button.setChecked(False)
        return chosen
