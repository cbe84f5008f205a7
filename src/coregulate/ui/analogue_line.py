"""A 10 cm visual-analogue line for the SRS and ORS: tap or drag to mark, no numbers shown.

The client sees only the line, its two end anchors and their own mark; the value
(0-10, to the millimetre, as a paper form is read with a ruler) is for the
therapist's records, never displayed while rating. On a screen whose DPI Qt knows,
the line is drawn 10 cm long when it fits; otherwise it fills the width. Large
touch targets: the whole strip around the line takes the tap.

Keyboard alone works too: Tab reaches each line, the first arrow press puts the
mark in the middle, Left/Right move it 1 mm, Page Up/Down (or Shift+arrow) 1 cm,
Home/End to the ends; a dashed frame shows which line has the keys.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

LINE_CM = 10.0
MARGIN_PX = 24  # room for the mark's handle at either end
FINE_STEP = 0.1  # one arrow press: 1 mm of the 10 cm line
COARSE_STEP = 1.0  # Page Up/Down or Shift+arrow: 1 cm


class AnalogueLine(QtWidgets.QWidget):
    """One line; `value` is None until the client marks it, then 0.0-10.0 in 0.1 steps."""

    changed = QtCore.Signal(float)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._value: float | None = None
        self.setMinimumSize(260, 56)
        self.setSizePolicy(QtWidgets.QSizePolicy.Expanding, QtWidgets.QSizePolicy.Fixed)
        self.setCursor(QtCore.Qt.PointingHandCursor)
        self.setAttribute(QtCore.Qt.WA_AcceptTouchEvents, True)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)  # Tab reaches every line
        self.setAccessibleDescription("mark how you feel on the line; left is low, right is high")

    @property
    def value(self) -> float | None:
        """Return the marked value (0-10, 0.1 resolution), or None if not marked yet."""
        return self._value

    def set_value(self, value: float | None) -> None:
        """Set (or clear, with None) the mark; used when a form is reset."""
        self._value = None if value is None else round(min(max(value, 0.0), 10.0), 1)
        self.update()
        if self._value is not None:
            self.changed.emit(self._value)

    def _line_px(self) -> tuple[float, float]:
        """Return the x of the line's left end and its length, px."""
        available = max(self.width() - 2 * MARGIN_PX, 1)
        dots_per_cm = self.logicalDpiX() / 2.54
        length = min(available, LINE_CM * dots_per_cm) if dots_per_cm > 0 else available
        return (self.width() - length) / 2, length

    def x_for(self, value: float) -> int:
        """Return the widget x of a value: where a test or a tap puts that mark."""
        left, length = self._line_px()
        return round(left + length * value / 10.0)

    def _mark_at(self, x: float) -> None:
        left, length = self._line_px()
        self.set_value(10.0 * (x - left) / length)

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:
        self._mark_at(event.position().x())

    def mouseMoveEvent(self, event: QtGui.QMouseEvent) -> None:
        if event.buttons() & QtCore.Qt.LeftButton:
            self._mark_at(event.position().x())

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        """Move the mark from the keyboard (for those who cannot point); Tab moves on."""
        key = event.key()
        Key = QtCore.Qt.Key
        if key in (Key.Key_Home, Key.Key_End):
            self.set_value(0.0 if key == Key.Key_Home else 10.0)
            return
        coarse = bool(event.modifiers() & QtCore.Qt.KeyboardModifier.ShiftModifier)
        step = {
            Key.Key_Left: -(COARSE_STEP if coarse else FINE_STEP),
            Key.Key_Right: COARSE_STEP if coarse else FINE_STEP,
            Key.Key_PageDown: -COARSE_STEP,
            Key.Key_PageUp: COARSE_STEP,
        }.get(key)
        if step is None:
            super().keyPressEvent(event)
            return
        # The first press only shows the mark, in the middle: then every press is seen.
        self.set_value(5.0 if self._value is None else self._value + step)

    def focusInEvent(self, event: QtGui.QFocusEvent) -> None:
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event: QtGui.QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.update()

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.Antialiasing)
        left, length = self._line_px()
        y = self.height() / 2
        pen = QtGui.QPen(self.palette().color(QtGui.QPalette.WindowText), 2)
        painter.setPen(pen)
        painter.drawLine(QtCore.QPointF(left, y), QtCore.QPointF(left + length, y))
        for x in (left, left + length):  # end ticks, as on the paper form
            painter.drawLine(QtCore.QPointF(x, y - 8), QtCore.QPointF(x, y + 8))
        if self.hasFocus():  # which line the keys move
            focus = QtGui.QPen(self.palette().color(QtGui.QPalette.Highlight), 2)
            focus.setStyle(QtCore.Qt.PenStyle.DashLine)
            painter.setPen(focus)
            painter.drawRect(QtCore.QRectF(self.rect()).adjusted(1, 1, -1, -1))
        if self._value is not None:
            x = left + length * self._value / 10.0
            painter.setPen(QtGui.QPen(QtGui.QColor("#0072B2"), 4))
            painter.drawLine(QtCore.QPointF(x, y - 16), QtCore.QPointF(x, y + 16))
        painter.end()
