"""The review window: the live window's views playing a recording, with review controls.

Play/pause (Space), speed 0.5-16x, a scrub bar with a tick at every marker and
review note, previous/next marker ([ and ]), and review notes written to the
recording's review file (never into the recording), drawn on the plots. The views
keep the playhead in the middle of a ±3 min window (`half_window_s`), so a jump to a
rupture shows what led to it and what followed. A recording takes no live actions:
no markers, no baseline to re-take, no rating forms. Below the views, the session's
markers and the review's notes side by side; a click on either jumps there.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from coregulate.palette import person_name
from coregulate.review.derived import DERIVED_NOTE
from coregulate.review.review_file import add_annotation, read_annotations, review_path
from coregulate.ui.live_window import LiveWindow
from coregulate.ui.marker_lines import MarkerLayer
from coregulate.ui.markers import kind_colour, kind_style
from coregulate.ui.review_layers import DEFAULT_HALF_WINDOW_S, REVIEW_NOTE, notes_as_markers
from coregulate.ui.review_player import SPEEDS, ReviewPlayer
from coregulate.ui.scrub_bar import ScrubBar

log = logging.getLogger(__name__)

TICK_MS = 100


def _mmss(t_ns: int) -> str:
    s = max(0, int(t_ns / 1e9))
    return f"{s // 60}:{s % 60:02d}"


class ReviewWindow(LiveWindow):
    """The live window in review mode over one recorded session file."""

    def __init__(
        self,
        recording: str | Path,
        author: str = "",
        half_window_s: float = DEFAULT_HALF_WINDOW_S,
        **kwargs: object,
    ) -> None:
        title = f"coregulate review — {Path(recording).name}"
        super().__init__(None, None, None, None, title=title, live_actions=False, **kwargs)
        # A recording takes no new session markers: the review's notes are the review's own.
        self.marker_bar.hide()
        self.recording = Path(recording)
        self.author = author
        self.player = ReviewPlayer(self.recording, self.model, after_s=half_window_s)
        if self.player.derived:  # an import: say where the numbers come from, always
            self.statusBar().addPermanentWidget(QtWidgets.QLabel(DERIVED_NOTE))
        self._markers_ns = self.player.marker_times_ns()
        for view in (self.calm, self.calm_group, self.full):
            view.set_review(half_window_s)
        self.note_layers = [
            MarkerLayer(plots)
            for plots in (self.calm._plots, self.calm_group._plots, list(self.full.plots.values()))
        ]
        for layer in self.note_layers:
            layer.kinds[REVIEW_NOTE.kind] = REVIEW_NOTE
        self._build_review_bar()
        self._last_tick = time.monotonic()
        self._tick = QtCore.QTimer(self)
        self._tick.timeout.connect(self.tick)
        self._tick.start(TICK_MS)
        self.refresh_lists()
        self.show_position()

    # -- building -------------------------------------------------------------------

    def _build_review_bar(self) -> None:
        bar = QtWidgets.QToolBar("review")
        bar.setMovable(False)
        self.addToolBarBreak()
        self.addToolBar(QtCore.Qt.ToolBarArea.BottomToolBarArea, bar)
        self.play_button = QtWidgets.QPushButton("Play  [Space]")
        self.play_button.clicked.connect(self.toggle_play)
        bar.addWidget(self.play_button)
        self.speed_box = QtWidgets.QComboBox()
        for speed in SPEEDS:
            self.speed_box.addItem(f"{speed:g}×", speed)
        self.speed_box.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_box.currentIndexChanged.connect(
            lambda i: self.player.set_speed(self.speed_box.itemData(i))
        )
        bar.addWidget(self.speed_box)
        self.prev_button = QtWidgets.QPushButton("◀ marker  [")
        self.prev_button.clicked.connect(self.previous_marker)
        self.next_button = QtWidgets.QPushButton("marker ▶  ]")
        self.next_button.clicked.connect(self.next_marker)
        bar.addWidget(self.prev_button)
        bar.addWidget(self.next_button)
        self.slider = ScrubBar(int(self.player.end_ns / 1e9))
        self.slider.sliderMoved.connect(lambda s: self.seek(int(s * 1e9)))
        bar.addWidget(self.slider)
        self.position_label = QtWidgets.QLabel("")
        bar.addWidget(self.position_label)
        self.note_edit = QtWidgets.QLineEdit()
        self.note_edit.setPlaceholderText("review note about this moment (Enter to add)")
        self.note_edit.returnPressed.connect(self.add_note)
        bar.addWidget(self.note_edit)

        dock = QtWidgets.QDockWidget("Markers: session | review", self)
        dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)
        lists = QtWidgets.QWidget()
        row = QtWidgets.QHBoxLayout(lists)
        self.session_list = QtWidgets.QListWidget()
        self.review_list = QtWidgets.QListWidget()
        for title, widget in (
            ("Session markers", self.session_list),
            (f"Review notes ({review_path(self.recording).name})", self.review_list),
        ):
            column = QtWidgets.QVBoxLayout()
            column.addWidget(QtWidgets.QLabel(title))
            column.addWidget(widget)
            widget.itemActivated.connect(lambda item: self.seek(item.data(QtCore.Qt.UserRole)))
            widget.itemClicked.connect(lambda item: self.seek(item.data(QtCore.Qt.UserRole)))
            row.addLayout(column)
        dock.setWidget(lists)
        dock.setMaximumHeight(130)  # the views keep the height of a 1280x800 screen
        self.addDockWidget(QtCore.Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        for key, slot in (
            ("Space", self.toggle_play),
            ("[", self.previous_marker),
            ("]", self.next_marker),
        ):
            self._add_shortcut(key, slot)

    # -- playing ----------------------------------------------------------------------

    def toggle_play(self) -> None:
        """Play or pause."""
        if not self.player.playing and self.player.position_ns >= self.player.end_ns:
            self.player.seek(0)
        self.player.playing = not self.player.playing
        self._last_tick = time.monotonic()
        self.show_position()

    def tick(self) -> None:
        """Advance the playback by the host time since the last tick and redraw."""
        now = time.monotonic()
        if self.player.playing:
            self.player.advance(now - self._last_tick)
            self.show_position()
        self._last_tick = now

    def seek(self, t_ns: int) -> None:
        """Show the session at `t_ns` (scrub or jump)."""
        self.player.seek(t_ns)
        self.show_position()

    def next_marker(self) -> int | None:
        """Jump to the next session marker or review note; return its time."""
        t = self.player.next_marker(self._all_marks())
        self.show_position()
        return t

    def previous_marker(self) -> int | None:
        """Jump to the previous session marker or review note; return its time."""
        t = self.player.previous_marker(self._all_marks())
        self.show_position()
        return t

    def _all_marks(self) -> list[int]:
        return self._markers_ns + self._notes_ns

    def show_position(self) -> None:
        """Update the scrub bar, the time and the views."""
        p = self.player
        self.slider.blockSignals(True)
        self.slider.setValue(int(p.position_ns / 1e9))
        self.slider.blockSignals(False)
        state = "playing" if p.playing else "paused"
        self.position_label.setText(f"{_mmss(p.position_ns)} / {_mmss(p.end_ns)} ({state})")
        self.play_button.setText("Pause  [Space]" if p.playing else "Play  [Space]")
        # Nothing to jump to: the button says so by being (visibly) disabled.
        marks = self._all_marks()
        self.prev_button.setEnabled(any(t < p.position_ns for t in marks))
        self.next_button.setEnabled(any(t > p.position_ns for t in marks))
        self.redraw(force=True)

    # -- notes ---------------------------------------------------------------------

    def add_note(self, text: str | None = None) -> None:
        """Write a review note about the current moment to the review file."""
        text = self.note_edit.text() if text is None else text
        if not text.strip():
            return
        add_annotation(self.recording, self.player.position_ns, text, self.author)
        self.note_edit.clear()
        self.refresh_lists()
        self.statusBar().showMessage(
            f"note added at {_mmss(self.player.position_ns)} to {review_path(self.recording).name}",
            4000,
        )

    def refresh_lists(self) -> None:
        """Fill the two lists: the session's markers and the review's notes."""
        self.session_list.clear()
        from coregulate.ui.model import SessionModel

        full = SessionModel()
        for msg in self.player.messages:
            if msg.topic == "marker":
                full.ingest(msg)
        for m in full.visible_markers():
            self._item(
                self.session_list,
                int(m.t_s * 1e9),
                m.kind.replace("-", ": ")
                + (f" ({' & '.join(person_name(k) for k in m.who)})" if m.who else "")
                + (f" — {m.text}" if m.text else ""),
            )
        self.review_list.clear()
        notes, problems = read_annotations(self.recording)
        for problem in problems:
            log.warning("%s", problem)
        for n in notes:
            self._item(self.review_list, n.t_ns, n.text + (f" ({n.author})" if n.author else ""))
        self._notes_ns = [n.t_ns for n in notes]
        theme = self.theme.name
        for layer in self.note_layers:
            layer.set_theme(theme)
            layer.update(notes_as_markers(notes))
        ticks = [
            (m.t_s, kind_colour(kind_style(m.kind), theme), m.label) for m in full.visible_markers()
        ]
        ticks += [(n.t_ns / 1e9, REVIEW_NOTE.colour, f"review note: {n.text}") for n in notes]
        self.slider.set_ticks(ticks)

    @staticmethod
    def _item(widget: QtWidgets.QListWidget, t_ns: int, text: str) -> None:
        item = QtWidgets.QListWidgetItem(f"{_mmss(t_ns)}  {text}")
        item.setData(QtCore.Qt.UserRole, t_ns)
        widget.addItem(item)

    def set_theme(self, theme: object) -> None:
        """Apply a theme, and redraw the scrub bar's ticks and the notes in its colours."""
        super().set_theme(theme)  # type: ignore[arg-type]
        if hasattr(self, "note_layers"):  # not while the base window is being built
            self.refresh_lists()

    def closeEvent(self, event: object) -> None:
        """Stop the playback timer, then close as the live window does."""
        self._tick.stop()
        super().closeEvent(event)
