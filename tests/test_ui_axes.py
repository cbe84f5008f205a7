"""The full view's quieter axes draw exactly what pyqtgraph's own axes draw, with less work."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

import pyqtgraph as pg
from PySide6 import QtGui

from coregulate.ui.axes import QuietAxis, TwinTimeAxis


def _stack(qtbot, ours: bool, x_range: tuple[float, float]) -> pg.GraphicsLayoutWidget:
    """Four x-linked plots like the full view's rows: only the last shows time values."""
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    widget.resize(600, 500)
    twins: dict = {}
    first = None
    for i in range(4):
        last = i == 3
        axes = {}
        if ours:
            axes = {
                "left": QuietAxis("left"),
                "bottom": QuietAxis("bottom") if last else TwinTimeAxis(twins),
            }
        plot = widget.addPlot(row=i, col=0, axisItems=axes)
        plot.setLabel("left", "bpm")
        plot.plot([0, 5, 12], [60 + i, 70, 65], pen="y")
        if not last:
            plot.getAxis("bottom").setStyle(showValues=False)
        if first is None:
            first = plot
        else:
            plot.setXLink(first)
    widget.show()
    qtbot.waitExposed(widget)
    first.setXRange(*x_range, padding=0)
    return widget


def _pixels(widget: pg.GraphicsLayoutWidget) -> QtGui.QImage:
    widget.repaint()
    return widget.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_ARGB32)


def test_same_pixels_as_pyqtgraphs_axes_while_the_range_moves(qtbot) -> None:
    plain, ours = _stack(qtbot, False, (0, 10)), _stack(qtbot, True, (0, 10))
    assert _pixels(plain) == _pixels(ours)
    for x_range in ((0.1, 10.1), (3, 13), (0, 61)):  # steps of the follow range, then "all"
        for widget in (plain, ours):
            widget.ci.getItem(0, 0).setXRange(*x_range, padding=0)
        assert _pixels(plain) == _pixels(ours)


def test_the_value_less_twins_share_one_picture(qtbot) -> None:
    widget = _stack(qtbot, True, (2, 12))
    _pixels(widget)
    twins = [widget.ci.getItem(i, 0).getAxis("bottom") for i in range(3)]
    assert all(isinstance(axis, TwinTimeAxis) for axis in twins)
    assert twins[0].picture is not None
    assert all(axis.picture is twins[0].picture for axis in twins)
    # The bottom row shows values: its own picture, never a twin's.
    assert widget.ci.getItem(3, 0).getAxis("bottom").picture is not twins[0].picture


def test_a_twin_with_another_style_draws_its_own(qtbot) -> None:
    plain, ours = _stack(qtbot, False, (2, 12)), _stack(qtbot, True, (2, 12))
    for widget in (plain, ours):
        widget.ci.getItem(1, 0).getAxis("bottom").setStyle(tickLength=-9)
    assert _pixels(plain) == _pixels(ours)
    twins = [ours.ci.getItem(i, 0).getAxis("bottom") for i in range(3)]
    assert twins[1].picture is not twins[0].picture
    assert twins[1].picture is not twins[2].picture


def test_the_label_is_set_again_only_when_its_text_changes(qtbot, monkeypatch) -> None:
    widget = _stack(qtbot, True, (0, 10))
    axis = widget.ci.getItem(0, 0).getAxis("left")
    calls = []
    monkeypatch.setattr(axis.label, "setHtml", lambda html: calls.append(html))
    widget.ci.getItem(0, 0).setYRange(50, 90)  # a new range, the same label
    assert calls == []
    axis.setLabel("ms")
    assert len(calls) == 1 and "ms" in calls[0]


def test_a_hidden_then_shown_axis_takes_the_same_room_as_pyqtgraphs(qtbot) -> None:
    plain, ours = _stack(qtbot, False, (0, 10)), _stack(qtbot, True, (0, 10))
    for widget in (plain, ours):
        plot = widget.ci.getItem(3, 0)
        plot.hideAxis("bottom")
        plot.setXRange(1, 11, padding=0)
        plot.showAxis("bottom")
        plot.setXRange(2, 12, padding=0)
    heights = [w.ci.getItem(3, 0).getAxis("bottom").maximumHeight() for w in (plain, ours)]
    assert heights[0] == heights[1] > 0
    assert _pixels(plain) == _pixels(ours)
