"""A plot curve that does not recompute its data's extent when only the view moves.

pyqtgraph's `PlotCurveItem` forgets both its bounding box and its data's min/max
whenever its view's transform changes (each time the full view's x range steps);
the min/max are then recomputed (two NaN-aware reductions per axis) for the
bounding box and again for the rows that auto-range y. They depend on the data,
the pens and the fill level only, and pyqtgraph already forgets them when any of
those change, so `Curve` keeps them across view changes: the same bounds, less work.
"""

from __future__ import annotations

import pyqtgraph as pg


class Curve(pg.PlotCurveItem):
    """A `PlotCurveItem` whose data bounds survive a change of the view's transform."""

    def viewTransformChanged(self) -> None:  # pyqtgraph's method, overridden
        # The bounding box has a pixel's padding, which depends on the view: forget it.
        self._boundingRect = None
        self.prepareGeometryChange()
