"""The review's scrub bar: a slider over the session with a tick at every marker and note."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

TICK_PX = 7  # tick length above and below the groove


class ScrubBar(QtWidgets.QSlider):
    """A horizontal slider in whole session seconds, with coloured ticks where marks are."""

    def __init__(self, end_s: int) -> None:
        super().__init__(QtCore.Qt.Orientation.Horizontal)
        self.setRange(0, max(1, end_s))
        self.setMinimumHeight(30)
        self.setMinimumWidth(240)
        self.ticks: list[tuple[float, str, str]] = []  # (session s, colour, what it is)

    def set_ticks(self, ticks: list[tuple[float, str, str]]) -> None:
        """Mark these (session s, colour, label) on the bar; the labels become its tooltip."""
        self.ticks = sorted(ticks)
        lines = [f"{int(t) // 60}:{int(t) % 60:02d}  {label}" for t, _, label in self.ticks]
        self.setToolTip("Scrub through the session. Marks:\n" + "\n".join(lines))
        self.update()

    def tick_x(self, t_s: float) -> int:
        """Return the x (px) of session time `t_s` on the bar, where the handle's centre goes."""
        opt = QtWidgets.QStyleOptionSlider()
        self.initStyleOption(opt)
        style = self.style()
        groove = style.subControlRect(
            QtWidgets.QStyle.ComplexControl.CC_Slider,
            opt,
            QtWidgets.QStyle.SubControl.SC_SliderGroove,
            self,
        )
        handle = style.subControlRect(
            QtWidgets.QStyle.ComplexControl.CC_Slider,
            opt,
            QtWidgets.QStyle.SubControl.SC_SliderHandle,
            self,
        )
        span = groove.width() - handle.width()
        value = min(max(round(t_s), self.minimum()), self.maximum())
        offset = QtWidgets.QStyle.sliderPositionFromValue(
            self.minimum(), self.maximum(), value, span
        )
        return groove.x() + handle.width() // 2 + offset

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        """Draw the slider, then a tick above and below the groove at each mark."""
        super().paintEvent(event)
        if not self.ticks:
            return
        painter = QtGui.QPainter(self)
        mid = self.height() // 2
        for t_s, colour, _ in self.ticks:
            painter.setPen(QtGui.QPen(QtGui.QColor(colour), 3))
            x = self.tick_x(t_s)
            painter.drawLine(x, mid - 5 - TICK_PX, x, mid - 5)
            painter.drawLine(x, mid + 5, x, mid + 5 + TICK_PX)
        painter.end()
