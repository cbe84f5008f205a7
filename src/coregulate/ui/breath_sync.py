"""Breathing-rate synchrony in the window: a strip in the full view, one calm line.

The synchrony stage publishes the two people's breathing rates (`breath.<role>`,
60 s estimates every 5 s from the chest accelerometer) as one more slow synchrony
series, `breathing_rate_bpm` (180 s windows, lags ±30 s, the same 95 % chance band
as heart rate; docs/synchrony.md). It says whether the breathing *rates* rose and
fell together, not whether breaths were in phase.

- Full view: a small strip under the synchrony rows, peak r per window and the
  dotted chance band, x-linked to the other rows, with the session's markers (the
  full view's marker layer draws them on it as on every row, ui/marker_lines.py);
  hidden in sessions without it.
- Calm view: one muted line, only when it matters: over the last 3 minutes
  (recomputed at each 30 s step, so it cannot flicker) most windows are positive
  and above their chance band, and the session's SUSY verdict is not "at chance".
  No band, no line: it needs the band's unrelated stretches (~24 min of data).

Qt-light: `breath_in_step` is plain numpy and tested on its own.
"""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from coregulate.ui import theme as th
from coregulate.ui.decimate import envelope
from coregulate.ui.model import Sync
from coregulate.ui.sync_line import step_start

# The synchrony stage's name of the series (stages/sync_stage.BREATH_SERIES).
BREATH_SYNC_SERIES: Final = "breathing_rate_bpm"
SUMMARY_S: Final = 180.0  # the calm line looks at the last 3 minutes (one window's length)
MIN_COVERAGE: Final = 0.5  # ...of which at least half must have windows
IN_STEP_SHARE: Final = 2 / 3  # share of the available windows that must be evidence
DEFAULT_STEP_S: Final = 10.0  # SLOW_PARAMS.step_s, when a payload does not say
CALM_TEXT: Final = "breathing rates moving together (above chance, last 3 min)"
TIP: Final = (
    "Breathing-rate synchrony: both people's breathing rates (chest accelerometer) rose "
    "and fell together in most 3-minute windows of the last 3 minutes, more than "
    "unrelated stretches of this session do (95 % chance band). Information, not a goal."
)


def _param(latest: dict[str, Any], name: str, default: float) -> float:
    value = (latest.get("params") or {}).get(name)
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
    return float(value) if ok else default  # type: ignore[arg-type]


def breath_in_step(sync: Sync | None, at_s: float) -> bool:
    """Return True if the breathing rates moved together above chance in (`at_s` − 3 min, `at_s`].

    A window is evidence when its peak r is positive, the stage marks it above chance
    and its r is above its chance band. Unlike heart rate, a window without a band
    is never evidence: breathing rates drift slowly, and unrelated drifts reach
    r 0.4-0.8 (the band, 0.85-0.9, comes after ~24 min: tests/test_ui_breath_sync.py).
    At least half of the 3 minutes must have windows, 2/3 of them evidence, and the
    session's SUSY verdict must not be False.
    """
    if sync is None or not len(sync.windows):
        return False
    if (sync.latest.get("susy") or {}).get("above_chance") is False:
        return False
    buf = sync.windows
    keep = (buf.t_s > at_s - SUMMARY_S) & (buf.t_s <= at_s)
    r, chance = buf.column("peak_r")[keep], buf.column("chance_abs_r95")[keep]
    above = buf.column("above_chance")[keep]
    available = np.isfinite(r)
    needed = math.ceil(MIN_COVERAGE * SUMMARY_S / _param(sync.latest, "step_s", DEFAULT_STEP_S))
    if int(available.sum()) < max(1, needed):
        return False
    with np.errstate(invalid="ignore"):
        evidence = available & (r > 0) & (above == 1) & np.isfinite(chance) & (r > chance)
    return int(evidence.sum()) >= IN_STEP_SHARE * int(available.sum())


class BreathSyncLine(QtWidgets.QLabel):
    """The calm view's muted line, shown only while the breathing rates move together."""

    def __init__(self) -> None:
        super().__init__("")
        self.setWordWrap(True)
        self.setVisible(False)
        self.setToolTip(TIP)
        self._at_s: float | None = None

    def restyle(self, text_px: int, theme: th.Theme) -> None:
        """Use this font size (px) and the theme's muted colour."""
        self.setStyleSheet(f"font-size: {text_px}px; color: {theme.muted};")

    def show_sync(self, sync: Sync | None, now_s: float) -> None:
        """Show or hide the line for the breathing synchrony received up to `now_s`."""
        at_s = step_start(now_s)
        if self._at_s == at_s and sync is not None:
            return  # the line changes at each 30 s step only
        self._at_s = at_s if sync is not None else None
        shown = breath_in_step(sync, at_s)
        if shown and self.text() != CALM_TEXT:
            self.setText(CALM_TEXT)
        if self.isHidden() == shown:
            self.setVisible(shown)


class BreathSyncStrip(pg.GraphicsLayoutWidget):
    """The full view's strip: each window's peak r and the chance band; hidden until used."""

    def __init__(self, link_to: pg.PlotItem | None = None) -> None:
        super().__init__()
        self.setFixedHeight(120)
        self.plot = self.addPlot()
        self.plot.setLabel("left", "r")
        self.plot.getAxis("left").setWidth(64)  # aligned with the full view's rows
        self.plot.getAxis("left").setTicks([[(v, f"{v:g}") for v in (-1, 0, 1)]])
        self.plot.setYRange(-1, 1, padding=0.02)
        self.plot.setMouseEnabled(x=True, y=False)
        self.plot.hideButtons()
        if link_to is not None:
            self.plot.setXLink(link_to)
        self.curve = self.plot.plot(pen=pg.mkPen(th.SYNC_COLOUR, width=1), connect="finite")
        band = pg.mkPen("#8C8C8C", width=1, style=QtCore.Qt.PenStyle.DotLine)
        self.band = [self.plot.plot(pen=band, connect="finite") for _ in (1, -1)]
        self.setToolTip(TIP.replace("in most 3-minute windows of the last 3 minutes", "per window"))
        self.setVisible(False)  # sessions without accelerometers: nothing new
        self._drawn: tuple[int, int, int] | None = None
        self._foreground = th.DARK.foreground  # the title's colour (set before it exists)

    def set_theme(self, theme: th.Theme) -> None:
        """Recolour for `theme`."""
        self._foreground = theme.foreground
        th.style_plot(self, [self.plot], theme)

    def redraw(self, sync: Sync | None, t0_s: float, width: int, follow: bool) -> None:
        """Draw the windows (from `t0_s` on while following); skipped when nothing changed."""
        if sync is None or not len(sync.windows):
            if self.isVisible():
                self.setVisible(False)
            return
        buf = sync.windows
        key = (id(buf), buf.version, int(t0_s) if follow else -1)
        if self._drawn == key:
            return
        self._drawn = key
        if self.isHidden():
            self.setVisible(True)
        start = buf.since(t0_s).start if follow else 0
        x = buf.t_s / 60
        self.curve.setData(*envelope(x, buf.column("peak_r"), start, width))
        chance = buf.column("chance_abs_r95")
        for curve, sign in zip(self.band, (1.0, -1.0), strict=True):
            curve.setData(*envelope(x, sign * chance, start, width))
        window_s = _param(sync.latest, "window_s", 180.0)
        lag_s = _param(sync.latest, "max_lag_s", 30.0)
        title = (
            f"Breathing-rate synchrony: peak r, {window_s:.0f} s windows, lags ±{lag_s:.0f} s"
            " · dotted: 95 % chance band"
        )
        if self.plot.titleLabel.text != title:
            self.plot.setTitle(title, size="9pt", justify="left", color=self._foreground)
