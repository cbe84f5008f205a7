"""The calm view's synchrony strip: the last 10 minutes of windows and the 2-minute line."""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6 import QtWidgets

from coregulate.ui import theme as th
from coregulate.ui.model import Sync
from coregulate.ui.sync_line import SyncSummary, step_start, summarise_sync

TREND_S = 600.0  # the calm view's trends (people and synchrony) show the last 10 minutes


class SyncStrip(QtWidgets.QWidget):
    """A small plot of each window's peak r and, beside it, the calm summary line."""

    def __init__(self) -> None:
        super().__init__()
        self.plot_widget = pg.GraphicsLayoutWidget()
        self.plot_widget.setFixedHeight(120)
        self.plot = self.plot_widget.addPlot()
        self.plot.setLabel("left", "HR sync r")
        self.plot.setLabel("bottom", "last 10 min (session time, min)")
        self.plot.setYRange(-1, 1)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.curve = self.plot.plot(pen=pg.mkPen(th.SYNC_COLOUR, width=2), connect="finite")
        self.text = QtWidgets.QLabel("synchrony: waiting")
        self.summary: SyncSummary | None = None
        self._at_s: float | None = None  # the 30 s step the line was computed for
        self._drawn: tuple[int, int, float] | None = None
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.text)

    def invalidate(self) -> None:
        """Recompute the line at the next redraw (the model was rebuilt under it)."""
        self._at_s = None
        self._drawn = None

    def set_text_px(self, text_px: int) -> None:
        """Use this font size (px) for the line; the plot grows with it."""
        self.text.setStyleSheet(f"font-size: {text_px}px;")
        self.plot_widget.setFixedHeight(max(120, text_px * 4))

    def redraw(
        self,
        sync: Sync | None,
        now_s: float,
        missing: list[str],
        t0_s: float,
        names: tuple[str, str] = ("client", "therapist"),
    ) -> None:
        """Draw the windows from `t0_s` on and say the summary; nothing while someone is missing."""
        if sync is None:
            self._say("" if missing else "synchrony: not available", _WAITING_TIP)
            return
        buf = sync.windows
        key = (id(buf), buf.version, t0_s)  # a review going back starts a new buffer
        if self._drawn != key:
            self._drawn = key
            s = buf.since(t0_s)
            self.curve.setData(buf.t_s[s] / 60, buf.column("peak_r")[s])
        self._say_at_step(
            "Synchrony", missing, now_s, lambda at_s: summarise_sync(sync, at_s, names)
        )

    def _say_at_step(
        self, what: str, missing: list[str], now_s: float, make: Callable[[float], SyncSummary]
    ) -> None:
        """Say `make(step)`'s line, anew at each 30 s step only; none while someone is missing."""
        if missing:
            # Synchrony needs everyone: with one missing, the line says nothing,
            # and a fresh summary is made when all are back.
            self._at_s = None
            who = ", ".join(missing)
            self._say("", f"{what} is not shown while there is no signal from: {who}.")
            return
        at_s = step_start(now_s)
        if self._at_s == at_s:
            return  # the line changes at each 30 s step only
        self._at_s = at_s
        self.summary = make(at_s)
        self._say(self.summary.text, self.summary.tip)

    def _say(self, text: str, tip: str) -> None:
        if text != self.text.text():
            self.text.setText(text)
        if tip != self.text.toolTip():
            self.text.setToolTip(tip)


_WAITING_TIP = "No synchrony received yet (it needs 30 s of both people's heart rate)."
