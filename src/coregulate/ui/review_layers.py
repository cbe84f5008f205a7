"""What review adds to the views' timelines: the playhead, its centred range, review notes."""

from __future__ import annotations

from collections.abc import Iterable

import pyqtgraph as pg
from PySide6 import QtCore

from coregulate.palette import NOTE_GREY
from coregulate.review.review_file import Annotation
from coregulate.sessionfile.markers import Marker
from coregulate.ui.markers import MarkerKind
from coregulate.ui.theme import Theme, mix

PLAYHEAD_PX = 7
DEFAULT_HALF_WINDOW_S = 180.0  # review shows 3 minutes either side of the playhead
# Review notes are drawn like markers, with their own name so they never pass for
# one of the session's (a note made later, by a reviewer, not in the session).
REVIEW_NOTE = MarkerKind(
    "review-note", key="", label="Review note", letter="review", colour=NOTE_GREY
)


def review_range(now_s: float, half_s: float) -> tuple[float, float]:
    """Return the x range (session minutes) with the playhead `now_s` in its middle."""
    return (now_s - half_s) / 60, (now_s + half_s) / 60


def notes_as_markers(notes: Iterable[Annotation]) -> list[Marker]:
    """Return review notes as markers of kind `REVIEW_NOTE` for a `MarkerLayer`."""
    return [
        Marker(n.t_ns / 1e9, REVIEW_NOTE.kind, n.text, id=f"review-{n.id}", source=n.author)
        for n in notes
    ]


class Playhead:
    """A vertical line at the playhead on every plot given (hidden until `move`)."""

    def __init__(self, plots: list[pg.PlotItem]) -> None:
        self.lines = []
        for i, plot in enumerate(plots):
            # Wide and under the curves: a band a marker line at the playhead sits in.
            line = pg.InfiniteLine(
                angle=90,
                pen=pg.mkPen("#808080", width=PLAYHEAD_PX),
                label="playhead" if i == len(plots) - 1 else None,
                labelOpts={"position": 0.08, "color": "#808080"},
            )
            line.setZValue(-10)
            line.setVisible(False)
            plot.addItem(line)
            self.lines.append(line)

    def set_theme(self, theme: Theme) -> None:
        """Draw the playhead in a quiet shade of `theme`, its label in the muted text colour."""
        band = mix(theme.muted, theme.background, 0.5)
        for line in self.lines:
            line.setPen(pg.mkPen(band, width=PLAYHEAD_PX, style=QtCore.Qt.PenStyle.SolidLine))
            label = getattr(line, "label", None)  # only the labelled line has one
            if label is not None:
                label.setColor(theme.muted)

    def move(self, t_s: float) -> None:
        """Put the playhead at session time `t_s` and show it."""
        for line in self.lines:
            line.setValue(t_s / 60)
            line.setVisible(True)
