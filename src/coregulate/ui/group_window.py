"""What the live window adds for sessions of 3-6 people, and the therapists' tiles toggle.

`LiveWindow` mixes this in: a second calm view made for groups (compact tiles, the
group strip), chosen whenever the model's session has more than two people, so the
dyad's calm view is never rebuilt and stays exactly as it was; the row that names
whom a marker is about (`who_bar.py`); and hiding the therapists' own tiles from a
screen the clients see (`--hide-therapists` on `coregulate view`, or F4).
"""

from __future__ import annotations

from typing import Any, Final

from PySide6 import QtWidgets

from coregulate.palette import person_name
from coregulate.ui.calm_view import CalmView
from coregulate.ui.who_bar import WHO_KEYS, WhoBar

HIDE_THERAPISTS_KEY: Final = "F4"


class GroupWindowParts:
    """The group calm view, the who bar and the therapists' toggle of a `LiveWindow`."""

    calm: CalmView
    stack: QtWidgets.QStackedWidget
    model: Any

    def _build_group_parts(self, hide_therapists: bool) -> None:
        self.calm_group = CalmView(self.model, group=True)
        self.stack.addWidget(self.calm_group)
        self.who_bar = WhoBar()  # in the marker bar's row: a window of 800 px keeps its plots
        bar = self.marker_bar.layout()  # type: ignore[attr-defined]
        bar.insertWidget(bar.indexOf(self.marker_bar.undo_button), self.who_bar)  # type: ignore[attr-defined]
        self.hide_therapists = hide_therapists
        for view in (self.calm, self.calm_group):
            view.set_hide_therapists(hide_therapists)

    def _build_group_actions(self, bar: QtWidgets.QToolBar) -> None:
        self.hide_action = bar.addAction("", self.toggle_therapists)
        self.hide_action.setToolTip(
            "Hide the therapists' own tiles from this screen (e.g. one the clients see)."
        )
        self._name_hide_action()

    def _build_group_shortcuts(self) -> None:
        self._add_shortcut(HIDE_THERAPISTS_KEY, self.toggle_therapists)  # type: ignore[attr-defined]
        for i, key in enumerate(WHO_KEYS):
            self._add_shortcut(key, lambda i=i: self.who_bar.toggle(i))  # type: ignore[attr-defined]

    def calm_view(self) -> CalmView:
        """Return the calm view for the session's people: the dyad's, or tiles for others
        (3-6 people, or two who are not client and therapist, e.g. a couple)."""
        return self.calm if self.model.is_default_dyad() else self.calm_group

    def set_hide_therapists(self, hide: bool) -> None:
        """Hide (or show again) the therapists' own tiles in the calm views."""
        self.hide_therapists = hide
        for view in (self.calm, self.calm_group):
            view.set_hide_therapists(hide)
        self._name_hide_action()

    def toggle_therapists(self) -> None:
        """Switch the therapists' tiles off or on."""
        self.set_hide_therapists(not self.hide_therapists)

    def _name_hide_action(self) -> None:
        if hasattr(self, "hide_action"):
            word = "Show" if self.hide_therapists else "Hide"
            self.hide_action.setText(f"{word} therapists  [{HIDE_THERAPISTS_KEY}]")

    def _fill_baseline_menu(self) -> None:
        """Offer a new baseline for each of the session's people, and for all of them."""
        menu: QtWidgets.QMenu | None = getattr(self, "baseline_menu", None)
        if menu is None:
            return
        self._menu_keys = self.model.keys
        menu.clear()
        for key in self._menu_keys:
            menu.addAction(person_name(key), lambda r=key: self.retake_baseline(r))  # type: ignore[attr-defined]
        both = "Everyone" if self.model.is_group() else "Both"
        menu.addAction(both, lambda: self.retake_baseline(None))  # type: ignore[attr-defined]

    def _fill_ors_menu(self) -> None:
        """With several clients, the ORS button asks whose form: one entry per client."""
        action: Any = getattr(self, "ors_action", None)
        if action is None:
            return
        clients = [p.key for p in self.model.roster if not p.is_therapist]
        if not self.model.is_group() or len(clients) < 2:
            action.setMenu(None)
            return
        menu = QtWidgets.QMenu(self)  # type: ignore[arg-type]
        for key in clients:
            menu.addAction(f"ORS for {person_name(key)}", lambda k=key: self.give_start_ratings(k))  # type: ignore[attr-defined]
        action.setMenu(menu)
        action.setText("ORS for a client")
        for bar in self.findChildren(QtWidgets.QToolBar):  # type: ignore[attr-defined]
            button = bar.widgetForAction(action)
            if isinstance(button, QtWidgets.QToolButton):
                button.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)

    def _follow_people(self) -> None:
        """Show the calm view and the who bar that fit the session's people (cheap if same)."""
        self.who_bar.set_people(self.model.roster)
        if self.model.keys != getattr(self, "_menu_keys", self.model.keys):
            self._fill_baseline_menu()
            self._fill_ors_menu()
        # A dyad's toolbar stays as it was; F4 works there too, and the button shows
        # while the therapist is hidden, so the way back is in sight.
        self.hide_action.setVisible(self.model.is_group() or self.hide_therapists)
        current = self.stack.currentWidget()
        if current in (self.calm, self.calm_group) and current is not self.calm_view():
            self.stack.setCurrentWidget(self.calm_view())
