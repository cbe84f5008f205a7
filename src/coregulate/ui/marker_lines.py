"""Draws the session's markers as vertical lines on a set of timelines, kept in step."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore

from coregulate.ui.markers import BY_KIND
from coregulate.ui.model import Marker


class MarkerLayer:
    """Vertical marker lines on every plot given; the first plot also shows the letter."""

    def __init__(self, plots: list[pg.PlotItem]) -> None:
        self.plots = plots
        self.lines: dict[str, list[pg.InfiniteLine]] = {}

    def update(self, markers: list[Marker]) -> None:
        """Add lines for new markers and remove those of retracted ones."""
        wanted = {m.id: m for m in markers}
        for marker_id in [i for i in self.lines if i not in wanted]:
            for plot, line in zip(self.plots, self.lines.pop(marker_id), strict=True):
                plot.removeItem(line)
        for marker_id, marker in wanted.items():
            if marker_id not in self.lines:
                self.lines[marker_id] = [
                    _line(marker, plot, labelled=(i == 0)) for i, plot in enumerate(self.plots)
                ]


def _line(marker: Marker, plot: pg.PlotItem, labelled: bool) -> pg.InfiniteLine:
    kind = BY_KIND[marker.kind]
    label = None
    if labelled:
        label = kind.letter + (f": {marker.text[:30]}" if marker.text else "")
    line = pg.InfiniteLine(
        pos=marker.t_s / 60,
        angle=90,
        pen=pg.mkPen(kind.colour, width=2, style=QtCore.Qt.PenStyle.DashLine),
        label=label,
        labelOpts={"position": 0.92, "color": kind.colour},
    )
    seconds = max(0, int(marker.t_s))
    tip = f"{kind.label} at {seconds // 60}:{seconds % 60:02d} (session time)"
    line.setToolTip(tip + (f": {marker.text}" if marker.text else ""))
    plot.addItem(line)
    return line
