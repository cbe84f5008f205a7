"""Draws the session's ratings on the live window's timelines: a dotted line and a label.

Ratings are therapist-facing here (the live window is the therapist's screen): the
label gives the instrument and total, with a flag when the SRS flags a concern or the
ORS is in the clinical range.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6 import QtCore

from coregulate.palette import RATING_COLOUR, person_name


def rating_label(payload: dict[str, Any]) -> str:
    """Return the timeline label of a rating payload, e.g. "SRS 35.5 ⚑" ("· Partner" when
    it names whose form it is: sessions of several clients, issue 19)."""
    flags = payload.get("flags") or {}
    total = payload.get("total")
    text = f"{payload.get('instrument', '?')} {total:g}" if isinstance(total, int | float) else ""
    person = payload.get("person")
    text += f" · {person_name(person)}" if isinstance(person, str) and person else ""
    return text + (" ⚑" if any(flags.values()) else "")


class RatingLayer:
    """One vertical line per rating on every plot; the first plot carries the label."""

    def __init__(self, plots: list[pg.PlotItem]) -> None:
        self.plots = plots
        self.lines: list[list[pg.InfiniteLine]] = []

    def update(self, ratings: list[tuple[float, dict[str, Any]]]) -> None:
        """Add lines for ratings not drawn yet (ratings are never withdrawn)."""
        for t_s, payload in ratings[len(self.lines) :]:
            row = []
            for i, plot in enumerate(self.plots):
                line = pg.InfiniteLine(
                    pos=t_s / 60,
                    angle=90,
                    pen=pg.mkPen(RATING_COLOUR, width=1, style=QtCore.Qt.PenStyle.DotLine),
                    label=rating_label(payload) if i == 0 else None,
                    labelOpts={"position": 0.8, "color": RATING_COLOUR},
                )
                line.setToolTip(f"{rating_label(payload)} ({payload.get('phase', '')})")
                plot.addItem(line)
                row.append(line)
            self.lines.append(row)
