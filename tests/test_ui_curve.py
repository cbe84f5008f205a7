"""The full view's curves keep their data's extent across view changes, and the same bounds."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

import pyqtgraph as pg

from coregulate.ui.curve import Curve


def _plot(qtbot, kind: type) -> tuple[pg.PlotWidget, pg.PlotCurveItem]:
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.resize(500, 300)
    curve = kind(pen=pg.mkPen("y", width=1), connect="finite")
    widget.addItem(curve)
    x = np.arange(600.0) / 60
    y = 70 + np.sin(x)
    y[100:130] = np.nan  # a gap, as a lost strap leaves
    curve.setData(x, y)
    widget.show()
    qtbot.waitExposed(widget)
    return widget, curve


def test_bounds_equal_pyqtgraphs_while_the_view_moves(qtbot) -> None:
    (plain_widget, plain), (ours_widget, ours) = _plot(qtbot, pg.PlotCurveItem), _plot(qtbot, Curve)
    for lo in (0.0, 0.1, 2.0, 5.0):
        for widget in (plain_widget, ours_widget):
            widget.setXRange(lo, lo + 5, padding=0)
        assert ours.boundingRect() == plain.boundingRect()  # the pixel padding follows the view
        assert ours.dataBounds(1) == plain.dataBounds(1)
    grab = [w.grab().toImage() for w in (plain_widget, ours_widget)]
    assert grab[0] == grab[1]


def test_the_data_extent_is_kept_across_a_view_change_and_forgotten_with_new_data(
    qtbot,
) -> None:
    widget, curve = _plot(qtbot, Curve)
    first = curve.dataBounds(1)
    widget.setXRange(3, 8, padding=0)
    assert curve._boundsCache[1] is not None  # not recomputed for a view change
    curve.setData(np.arange(10.0), np.arange(10.0) + 100)
    assert curve.dataBounds(1) == (100.0, 109.0) != first
