"""Colours and the two themes (dark, light): Okabe–Ito, so colour-blind readers see them.

Okabe, M. & Ito, K. (2008), "Color Universal Design": eight colours that stay
distinct under the common colour-vision deficiencies. Colour is never the only
carrier of meaning here: every state is also a word, every marker also a letter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pyqtgraph as pg
from PySide6 import QtGui, QtWidgets

# The palette is declared once, Qt-free, for the window and the printed pages.
from coregulate.palette import (  # noqa: F401 - re-exported for the views
    BLUE,
    BLUISH_GREEN,
    ORANGE,
    REDDISH_PURPLE,
    ROLE_COLOURS,
    ROLE_NAMES,
    SKY_BLUE,
    STATE_COLOURS,
    STATE_TEXT,
    SYNC_COLOUR,
    VERMILLION,
    YELLOW,
)


@dataclass(frozen=True, slots=True)
class Theme:
    """The colours of one theme."""

    name: str
    background: str
    panel: str
    foreground: str
    muted: str
    axis: str
    band: str  # baseline band fill: opaque, a shade off the background


DARK: Final = Theme("dark", "#1C1D20", "#26282C", "#DADADA", "#9A9A9A", "#8C8C8C", "#2F3A36")
LIGHT: Final = Theme("light", "#FAFAF7", "#EFEFEA", "#202020", "#5E5E5E", "#6A6A6A", "#DCEBE4")
THEMES: Final = {"dark": DARK, "light": LIGHT}


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
        (QtGui.QPalette.ColorRole.Highlight, QtGui.QColor(BLUE)),
    ):
        pal.setColor(role, colour)
    app.setPalette(pal)


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
