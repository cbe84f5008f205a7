"""The two window themes (dark, light) applied to Qt: the colours come from `palette`.

Colour is never the only carrier of meaning here: every state is also a word,
every marker also a letter and a line style.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

# The palette is declared once, Qt-free, for the window and the printed pages.
from coregulate.palette import (  # noqa: F401 - re-exported for the views
    DARK,
    LIGHT,
    MARKER_LINES,
    ROLE_COLOURS,
    ROLE_NAMES,
    STATE_COLOURS,
    SYNC_COLOUR,
    THEMES,
    Theme,
    hex_to_rgb,
    ink,
    person_colours,
    person_name,
)

# The palette's line styles as Qt draws them.
PEN_STYLES = {
    "solid": QtCore.Qt.PenStyle.SolidLine,
    "dash": QtCore.Qt.PenStyle.DashLine,
    "dot": QtCore.Qt.PenStyle.DotLine,
    "dashdot": QtCore.Qt.PenStyle.DashDotLine,
}


def apply_to_app(app: QtWidgets.QApplication, theme: Theme) -> None:
    """Give the whole application the theme's palette (Fusion style: the same everywhere)."""
    app.setStyle("Fusion")
    pal = QtGui.QPalette()
    bg, panel, fg = (
        QtGui.QColor(theme.background),
        QtGui.QColor(theme.panel),
        QtGui.QColor(theme.foreground),
    )
    for role, colour in (
        (QtGui.QPalette.ColorRole.Window, bg),
        (QtGui.QPalette.ColorRole.Base, panel),
        (QtGui.QPalette.ColorRole.AlternateBase, bg),
        (QtGui.QPalette.ColorRole.Button, panel),
        (QtGui.QPalette.ColorRole.WindowText, fg),
        (QtGui.QPalette.ColorRole.Text, fg),
        (QtGui.QPalette.ColorRole.ButtonText, fg),
        (QtGui.QPalette.ColorRole.ToolTipBase, panel),
        (QtGui.QPalette.ColorRole.ToolTipText, fg),
        (QtGui.QPalette.ColorRole.PlaceholderText, QtGui.QColor(theme.muted)),
        (QtGui.QPalette.ColorRole.Highlight, QtGui.QColor(theme.axis)),
        (QtGui.QPalette.ColorRole.HighlightedText, QtGui.QColor(theme.background)),
    ):
        pal.setColor(role, colour)
    # Disabled controls must look disabled (issue 14): text half-way to the panel
    # (WCAG exempts inactive controls from the contrast rule) on a flat background.
    faded = QtGui.QColor(mix(theme.muted, theme.panel, 0.55))
    disabled = QtGui.QPalette.ColorGroup.Disabled
    for role in (
        QtGui.QPalette.ColorRole.WindowText,
        QtGui.QPalette.ColorRole.Text,
        QtGui.QPalette.ColorRole.ButtonText,
    ):
        pal.setColor(disabled, role, faded)
    pal.setColor(disabled, QtGui.QPalette.ColorRole.Button, bg)
    app.setPalette(pal)


def mix(colour: str, other: str, t: float) -> str:
    """Return "#RRGGBB" a fraction `t` of the way from `colour` to `other`."""
    a, b = hex_to_rgb(colour), hex_to_rgb(other)
    return "#" + "".join(f"{round((x + (y - x) * t) * 255):02X}" for x, y in zip(a, b, strict=True))


def style_plot(widget: pg.GraphicsLayoutWidget, plots: list[pg.PlotItem], theme: Theme) -> None:
    """Colour a plot widget and its plots; grids stay off (they cost ≈100 ms a frame)."""
    widget.setBackground(theme.background)
    pen = pg.mkPen(theme.axis)
    for plot in plots:
        for name in ("left", "bottom", "right"):
            axis = plot.getAxis(name)
            axis.setPen(pen)
            axis.setTextPen(pg.mkPen(theme.foreground))
        plot.titleLabel.setText(plot.titleLabel.text, color=theme.foreground)
