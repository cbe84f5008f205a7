"""Draws the session's markers as vertical lines on a set of timelines, kept in step."""

from __future__ import annotations

import pyqtgraph as pg

from coregulate.palette import marker_line, person_name
from coregulate.sessionfile.markers import Marker
from coregulate.ui.markers import BY_KIND, MarkerKind, kind_colour, kind_style
from coregulate.ui.theme import PEN_STYLES


class MarkerLayer:
    """Vertical marker lines on every plot given; the first plot also shows the letter."""

    def __init__(self, plots: list[pg.PlotItem]) -> None:
        self.plots = plots
        # How each kind is drawn; the window sets its own (a clinic's marker kinds file).
        self.kinds: dict[str, MarkerKind] = dict(BY_KIND)
        self.lines: dict[str, list[pg.InfiniteLine]] = {}
        self.theme = "dark"  # the palette's marker colours follow the window's theme
        # pyqtgraph pins the label of a line outside the view to the plot's edge,
        # where it would name the wrong moment: hide it instead.
        if plots:
            plots[0].sigXRangeChanged.connect(lambda *_: self._clip_labels())

    def update(self, markers: list[Marker]) -> None:
        """Add lines for new markers and remove those of retracted ones."""
        wanted = {m.id: m for m in markers}
        for marker_id in [i for i in self.lines if i not in wanted]:
            for plot, line in zip(self.plots, self.lines.pop(marker_id), strict=True):
                plot.removeItem(line)
        for marker_id, marker in wanted.items():
            if marker_id not in self.lines:
                # Labels at three heights in turn, so neighbouring markers' texts do not
                # overlap; further apart for the longer labels that name people.
                step = 0.3 if marker.who else 0.14
                height = 0.92 - step * (len(self.lines) % 3)
                self.lines[marker_id] = [
                    _line(marker, plot, i == 0, height, self.kinds, self.theme)
                    for i, plot in enumerate(self.plots)
                ]
                self._clip_labels()

    def set_theme(self, theme: str) -> None:
        """Draw in `theme`'s marker colours: the lines are made again at the next update."""
        if theme != self.theme:
            self.theme = theme
            self.update([])

    def _clip_labels(self) -> None:
        if not self.plots:
            return
        lo, hi = self.plots[0].viewRange()[0]
        for lines in self.lines.values():
            label = lines[0].label if lines else None
            if label is not None:
                label.setVisible(lo <= lines[0].value() <= hi)


def _line(
    marker: Marker,
    plot: pg.PlotItem,
    labelled: bool,
    height: float,
    kinds: dict[str, MarkerKind],
    theme: str,
) -> pg.InfiniteLine:
    kind = kind_style(marker.kind, kinds)
    colour = kind_colour(kind, theme)
    label = None
    # Whom it names, in words: "C · Partner & Client" (a rupture between the partners).
    names = " & ".join(person_name(k) for k in marker.who)
    if labelled:
        label = kind.letter + (f" · {names}" if names else "")
        label += f": {marker.text[:30]}" if marker.text else ""
    line = pg.InfiniteLine(
        pos=marker.t_s / 60,
        angle=90,
        pen=pg.mkPen(colour, width=2, style=PEN_STYLES[marker_line(marker.kind, marker.category)]),
        label=label,
        labelOpts={"position": height, "color": colour},
    )
    seconds = max(0, int(marker.t_s))
    tip = f"{kind.label} at {seconds // 60}:{seconds % 60:02d} (session time)"
    tip += f", about {names}" if names else ""
    line.setToolTip(tip + (f": {marker.text}" if marker.text else ""))
    plot.addItem(line)
    return line
