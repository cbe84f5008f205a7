"""Plot axes that redraw less when the time axis moves, and draw exactly the same.

Every time the full view's x range steps (each 1 % of the history; each minute for
"all"), pyqtgraph's `AxisItem` of each of the six linked rows rebuilds its label's
HTML and size (a re-layout) and its whole picture (ticks, a few hundred
`QPointF`s in Python), about half of such a frame in a 4-person window. Two
things here are the same work done again:

- the label: `AxisItem.setRange` calls `updateAutoSIPrefix`, which sets the label's
  HTML and adjusts the axis size even when the text did not change;
  `QuietAxis` does that only when it did;
- the value-less time axes above the bottom row: five axes of the same width,
  range, style and pens draw the same ticks; `TwinTimeAxis` lets them share one
  picture, so only the first to paint builds it.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6 import QtGui


class QuietAxis(pg.AxisItem):
    """An `AxisItem` whose label is re-set (and the axis re-sized) only when its text changes."""

    _label_key: tuple[str, bool] | None = None

    def _updateLabel(self) -> None:  # pyqtgraph's method, overridden
        # The axis's size depends on the label and on whether the axis is shown (a
        # hidden axis takes no room): re-set and re-size when either changed.
        key = (self.labelString(), self.isVisible())
        if key == self._label_key:
            # What the base class does besides the label: a new picture, a repaint.
            self.picture = None
            self.update()
            return
        self._label_key = key
        super()._updateLabel()


class TwinTimeAxis(QuietAxis):
    """A time axis without tick values whose picture is shared with its identical twins.

    The twins pass the same `shared` dict; a picture is reused only when everything
    it is drawn from is equal (range, size, pens, style), else built as usual.
    """

    def __init__(self, shared: dict[str, Any], **kwargs: Any) -> None:
        super().__init__("bottom", **kwargs)
        self._shared = shared

    def _picture_key(self) -> tuple[Any, ...] | None:
        if self.style["showValues"] or self.grid is not False or self._tickLevels is not None:
            return None  # drawn from more than this key says: never shared
        rect = self.mapRectFromParent(self.geometry())
        device = self.deviceTransform_()
        if device is None:
            return None
        style = tuple(sorted((k, repr(v)) for k, v in self.style.items()))
        return (
            tuple(self.range),
            (rect.x(), rect.y(), rect.width(), rect.height()),
            (device.m11(), device.m22()),
            self.pen().color().rgba(),
            self.pen().widthF(),
            self.tickPen().color().rgba(),
            self.tickPen().widthF(),
            style,
            repr(self._tickSpacing),
            self._tickDensity,
            self.scale,
            self.logMode,
        )

    def paint(self, p: QtGui.QPainter, opt: Any, widget: Any) -> None:
        """Play the twins' picture if it was drawn from the same inputs, else draw it."""
        if self.picture is None:
            key = self._picture_key()
            if key is not None and self._shared.get("key") == key:
                self.picture = self._shared["picture"]
            else:
                super().paint(p, opt, widget)  # builds self.picture and plays it
                if key is not None:
                    self._shared.update(key=key, picture=self.picture)
                return
        self.picture.play(p)
