"""The live session window: calm or full view, markers, help; a bus subscriber only.

It can be opened, closed or crash without touching acquisition or the recording:
it reads the hub's output (and, when it knows the session file, backfills from it
read-only), and its only output is markers, sent through its own reliable
producer to the hub's input. Data are drained into the model on one timer and the
visible view is redrawn from the model's buffers on another, independent of data
arrival.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtGui, QtWidgets

from coregulate.bus.envelope import TOPIC_MARKER
from coregulate.bus.producer import BusProducer, sender_source
from coregulate.bus.subscriber import CurveClientKeys
from coregulate.clock import SessionClock
from coregulate.signal.dyad import DEFAULT_BASELINE_S
from coregulate.ui import theme as th
from coregulate.ui.calm_view import CalmView
from coregulate.ui.feed import SessionFeed
from coregulate.ui.full_view import FullView
from coregulate.ui.group_window import GroupWindowParts
from coregulate.ui.help_panel import HelpPanel
from coregulate.ui.markers import (
    DEFAULT_KINDS,
    HELP_KEY,
    THEME_KEY,
    UNDO_KEY,
    VIEW_KEY,
    MarkerBar,
    MarkerKind,
    marker_payload,
    retraction_payload,
    undo_text,
)
from coregulate.ui.markers import hms as _hms
from coregulate.ui.model import SessionModel

log = logging.getLogger(__name__)

DEFAULT_POLL_MS = 50
DEFAULT_REDRAW_MS = 250  # 4 frames a second: enough for data that changes once a second


class LiveWindow(GroupWindowParts, QtWidgets.QMainWindow):
    """A viewer of one session.

    Parameters
    ----------
    output_endpoint
        The hub's output (PUB) endpoint; None for a file-only view.
    input_endpoint
        The hub's input endpoint for markers; None disables the marker bar (says why).
    session_file
        The session file to backfill from, read-only; None for bus only.
    clock
        The session clock's fields (`SessionClock.to_dict()`), to stamp markers; without
        it a marker gets the newest session time seen on the bus.
    view, theme
        "calm" or "full"; "dark" or "light".
    curve
        Keys for a hub's encrypted viewer output (remote viewing, docs/security.md).
    marker_kinds
        The marker kinds this window makes (key, label, colour), e.g. from a clinic's
        file (`ui.markers.load_marker_kinds`); W/C/R/N when None.
    hide_therapists
        Start with the therapists' own tiles hidden (a screen the clients see; F4).
    """

    end_requested = QtCore.Signal()  # the user confirmed ending the session

    def __init__(
        self,
        output_endpoint: str | None,
        input_endpoint: str | None = None,
        session_file: str | Path | None = None,
        clock: dict[str, Any] | None = None,
        *,
        view: str = "calm",
        theme: str = "dark",
        poll_ms: int = DEFAULT_POLL_MS,
        redraw_ms: int = DEFAULT_REDRAW_MS,
        title: str = "coregulate",
        can_end: bool = False,
        curve: CurveClientKeys | None = None,
        marker_kinds: tuple[MarkerKind, ...] | None = None,
        live_actions: bool = True,
        hide_therapists: bool = False,
    ) -> None:
        super().__init__()
        self.setWindowTitle(title)
        self.resize(1280, 800)
        self.model = SessionModel()
        self.feed = SessionFeed(self.model, output_endpoint, session_file, curve)
        self.session_file = Path(session_file) if session_file else None
        self._clock = SessionClock(**clock) if clock else None
        # A fresh source name per window: a reopened window restarts its seq at 1,
        # and the hub would take it for a repeat of the old window's markers.
        self._producer = (
            BusProducer(input_endpoint, sender_source("ui")) if input_endpoint else None
        )
        self._my_markers: list[str] = []
        self.marker_kinds = tuple(marker_kinds or DEFAULT_KINDS)
        self._kinds = {k.kind: k for k in self.marker_kinds}
        # The window of a session it owns (`can_end`): closing it ends the recording,
        # so closing or "End session" asks first. A viewer closes without asking.
        self.can_end = can_end
        self._end_confirmed = False

        self.setCentralWidget(self._build_central(hide_therapists))
        self._help = HelpPanel(self)
        self._build_toolbar(can_end, live_actions)
        self._build_shortcuts()
        self.status_label = QtWidgets.QLabel("")
        self.statusBar().addPermanentWidget(self.status_label, 1)
        self.set_theme(th.THEMES.get(theme, th.DARK))
        self.set_view(view)
        self._start_timers(poll_ms, redraw_ms)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)

    # -- building -----------------------------------------------------------------

    def _build_central(self, hide_therapists: bool) -> QtWidgets.QWidget:
        central = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)
        self.calm = CalmView(self.model)
        self.full = FullView(self.model)
        self.stack = QtWidgets.QStackedWidget()
        self.stack.addWidget(self.calm)
        self.stack.addWidget(self.full)
        layout.addWidget(self.stack, 1)
        self.marker_bar = MarkerBar(self.now_ns, kinds=self.marker_kinds)
        self.marker_bar.marked.connect(self.add_marker)
        self.marker_bar.undo.connect(self.undo_marker)
        if self._producer is None:
            self.marker_bar.setEnabled(False)
            self.marker_bar.setToolTip(
                "Markers need the session's hub input (not given to this viewer)."
            )
        layout.addWidget(self.marker_bar)
        self._build_group_parts(hide_therapists)
        for layer in (self.calm.marker_layer, self.calm_group.marker_layer, self.full.marker_layer):
            layer.kinds.update(self._kinds)  # this window's kinds drawn as it makes them
        return central

    def _start_timers(self, poll_ms: int, redraw_ms: int) -> None:
        self._poll_timer = QtCore.QTimer(self)
        self._poll_timer.timeout.connect(self.poll)
        self._poll_timer.start(poll_ms)
        self._redraw_timer = QtCore.QTimer(self)
        self._redraw_timer.timeout.connect(self.redraw)
        self._redraw_timer.start(redraw_ms)

    def _build_toolbar(self, can_end: bool, live_actions: bool) -> None:
        bar = self.addToolBar("session")
        bar.setMovable(False)
        self.view_action = bar.addAction(f"Full view  [{VIEW_KEY}]", self.toggle_view)
        self.theme_action = bar.addAction(f"Light theme  [{THEME_KEY}]", self.toggle_theme)
        bar.addAction(f"What am I looking at?  [{HELP_KEY}]", self.show_help)
        self._build_group_actions(bar)
        self.ors_action = None
        if live_actions:  # a review (a recording) has no baseline to re-take, no client
            self._build_live_actions(bar)
        if can_end:
            bar.addSeparator()
            bar.addAction("End session", self.close)
        for action in bar.actions():
            widget = bar.widgetForAction(action)
            if widget is not None:
                widget.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)

    def _build_live_actions(self, bar: QtWidgets.QToolBar) -> None:
        bar.addSeparator()
        self.baseline_menu = menu = QtWidgets.QMenu(self)
        self._fill_baseline_menu()  # each of the session's people, then all
        button = QtWidgets.QToolButton()
        button.setText("Re-take baseline")
        button.setToolTip(
            f"Start a new {DEFAULT_BASELINE_S / 60:g}-minute resting period "
            "(the states pause until it is done)."
        )
        button.setMenu(menu)
        button.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        button.setEnabled(self._producer is not None)
        bar.addWidget(button)
        self.ors_action = bar.addAction("ORS for the client", self.give_start_ratings)
        self.ors_action.setToolTip(
            "Hand the Outcome Rating Scale to the client (session start); no numbers "
            "are shown while they rate. The SRS comes at the end of the session."
        )
        self.ors_action.setEnabled(self._producer is not None)

    def _build_shortcuts(self) -> None:
        self._shortcuts = []
        for kind in self.marker_kinds:
            self._add_shortcut(kind.key, lambda k=kind.kind: self.marker_bar.trigger(k))
        self._add_shortcut(UNDO_KEY, self.undo_marker)
        self._add_shortcut(VIEW_KEY, self.toggle_view)
        self._add_shortcut(THEME_KEY, self.toggle_theme)
        self._add_shortcut(HELP_KEY, self.show_help)
        self._build_group_shortcuts()

    def _add_shortcut(self, key: str, slot: Any) -> None:
        shortcut = QtGui.QShortcut(QtGui.QKeySequence(key), self)
        shortcut.setContext(QtCore.Qt.ShortcutContext.WindowShortcut)
        shortcut.activated.connect(slot)
        self._shortcuts.append(shortcut)

    # -- time and markers ---------------------------------------------------------

    def now_ns(self) -> int:
        """Return the current session time (the clock, else the newest time seen)."""
        if self._clock is None and self.model.session.get("clock"):
            try:
                self._clock = SessionClock(**self.model.session["clock"])
            except (TypeError, ValueError) as exc:
                log.warning("the session message's clock is unusable (%s)", exc)
        if self._clock is not None:
            return max(0, self._clock.now_ns())
        return int(self.model.now_s * 1e9)

    def add_marker(
        self, kind: str, text: str = "", t_ns: int = -1, who: list[str] | None = None
    ) -> str | None:
        """Publish a marker now (or at `t_ns`) about `who` (else the who bar's choice);
        return its id, or None if there is no hub."""
        if self._producer is None:
            return None
        t_ns = self.now_ns() if t_ns < 0 else t_ns
        who = self.who_bar.take() if who is None else who
        payload = marker_payload(kind, t_ns, text, kinds=self._kinds, who=who)
        msg = self._producer.send(TOPIC_MARKER, payload, t_ns)
        self._producer.pump()
        self.model.ingest(msg)  # drawn at once; the echo from the hub is a repeat
        self._my_markers.append(payload["id"])
        self.statusBar().showMessage(f"marked {kind.replace('-', ' ')} at {_hms(t_ns / 1e9)}", 4000)
        self.redraw()
        return payload["id"]

    def undo_marker(self) -> str | None:
        """Withdraw the newest marker of this window (else the newest shown); return its id."""
        if self._producer is None:
            return None
        visible = {m.id for m in self.model.visible_markers()}
        mine = [i for i in self._my_markers if i in visible]
        target = mine[-1] if mine else (self.model.visible_markers()[-1].id if visible else None)
        withdrawn = next((m for m in self.model.visible_markers() if m.id == target), None)
        if target is None or withdrawn is None:
            self.statusBar().showMessage("no marker to undo", 4000)
            return None
        t_ns = self.now_ns()
        msg = self._producer.send(TOPIC_MARKER, retraction_payload(target, t_ns), t_ns)
        self._producer.pump()
        self.model.ingest(msg)
        # Say which one went, so a slip of the undo key is seen at once.
        self.statusBar().showMessage(f"withdrew: {undo_text(withdrawn, self._kinds)}", 6000)
        self.redraw()
        return target

    def retake_baseline(self, role: str | None) -> None:
        """Ask the signal stage for a new resting baseline of `role` (None: both)."""
        if self._producer is None:
            return
        t_ns = self.now_ns()
        self._producer.send("control.baseline", {"action": "retake", "role": role}, t_ns)
        self._producer.pump()
        everyone = "everyone" if self.model.is_group() else "both people"
        who = everyone if role is None else f"the {role}"
        self.statusBar().showMessage(f"new baseline asked for {who}", 4000)

    def give_start_ratings(self, person: str | None = None) -> QtWidgets.QDialog | None:
        """Open the start-of-session form (the ORS) for the client (or `person`, one of
        several clients); return the dialog.

        Each answer goes on the bus as a `rating` message at the moment it is
        submitted, so it is recorded and appears on the timelines like a marker.
        """
        if self._producer is None:
            return None
        from coregulate.alliance.schedule import forms_due
        from coregulate.ui.rating_entry import RatingDialog, RatingSender

        sender = RatingSender(self._producer, self.now_ns)
        dialog = RatingDialog(forms_due("start", 1), sender, "start", person=person)
        dialog.rated.connect(lambda _: self.statusBar().showMessage("ORS recorded", 4000))
        self._rating_dialog = dialog  # kept: a non-modal dialog needs an owner
        dialog.show()
        return dialog

    # -- views ----------------------------------------------------------------------

    def set_view(self, view: str) -> None:
        """Show the "calm" or the "full" view."""
        full = view == "full"
        self.stack.setCurrentWidget(self.full if full else self.calm_view())
        self.view_action.setText(f"{'Calm' if full else 'Full'} view  [{VIEW_KEY}]")
        self.redraw(force=True)

    def toggle_view(self) -> None:
        """Switch between the calm and the full view."""
        self.set_view("calm" if self.stack.currentWidget() is self.full else "full")

    def set_theme(self, theme: th.Theme) -> None:
        """Apply a theme to the window and both views."""
        self.theme = theme
        app = QtWidgets.QApplication.instance()
        if isinstance(app, QtWidgets.QApplication):
            th.apply_to_app(app, theme)
        # Labels with their own style sheet ignore the palette: give them the colour here.
        self.setStyleSheet(f"QLabel {{ color: {theme.foreground}; }}")
        self.calm.set_theme(theme)
        self.calm_group.set_theme(theme)
        self.full.set_theme(theme)
        self.marker_bar.set_theme(theme)
        self.who_bar.set_theme(theme)
        name = "Dark" if theme is th.LIGHT else "Light"
        self.theme_action.setText(f"{name} theme  [{THEME_KEY}]")

    def toggle_theme(self) -> None:
        """Switch between the dark and the light theme."""
        self.set_theme(th.LIGHT if self.theme is th.DARK else th.DARK)
        self.redraw(force=True)

    def show_help(self) -> None:
        """Open the help panel beside the window (it does not block)."""
        self._help.show()
        self._help.raise_()

    # -- timers -------------------------------------------------------------------

    def poll(self) -> None:
        """Move waiting messages into the model and pump the marker producer."""
        self.feed.poll()
        if self._producer is not None:
            self._producer.pump()

    def redraw(self, force: bool = False) -> None:
        """Redraw the visible view from the model."""
        self._follow_people()
        view = self.stack.currentWidget()
        if view is self.full:
            self.full.redraw(force=force)
        else:
            view.redraw()
        parts = []
        if self.session_file is not None:
            parts.append(f"session file: {self.session_file}")
        if self.feed.file_error:
            parts.append(f"no backfill: {self.feed.file_error}")
        if self.model.bus_lost:
            parts.append(f"{self.model.bus_lost} bus messages missed by this window")
        text = " · ".join(parts)
        if text != self.status_label.text():
            self.status_label.setText(text)

    def confirm_end(self) -> bool:
        """Ask whether to end the session; return True if the user chose to end it."""
        from coregulate.ui.end_of_session import ask_to_end

        return ask_to_end(self)

    def end_without_asking(self) -> None:
        """Close an owning window without the question (Ctrl-C, or the session failed)."""
        self._end_confirmed = True
        self.close()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        """Ask first if this ends the session; then stop timers, flush markers, close sockets."""
        if self.can_end and not self._end_confirmed:
            if not self.confirm_end():
                event.ignore()
                return
            self._end_confirmed = True
            self.end_requested.emit()
        self._poll_timer.stop()
        self._redraw_timer.stop()
        if self._producer is not None:
            self._producer.flush(timeout_s=2.0)
            self._producer.close()
            self._producer = None
        self.feed.close()
        self._help.close()
        super().closeEvent(event)
