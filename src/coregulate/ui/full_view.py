"""The full view (researchers, supervisors): every metric on one shared time axis.

Rows: heart rate; lnRMSSD with each person's baseline band; HF power and RSA;
artifact share; heart-rate synchrony (peak r) and its lag (who leads). Markers are
drawn on every row. All rows share the x axis (session minutes): zoom or pan one
and the others follow; the history switch sets how much is shown while following.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from coregulate.signal.dyad import ROLES
from coregulate.ui import theme as th
from coregulate.ui.decimate import envelope
from coregulate.ui.marker_lines import MarkerLayer
from coregulate.ui.model import SessionModel
from coregulate.ui.rating_lines import RatingLayer
from coregulate.ui.status_panel import StatusPanel

HISTORY_CHOICES = (
    ("5 min", 300.0),
    ("10 min", 600.0),
    ("30 min", 1800.0),
    ("60 min", 3600.0),
    ("all", 0.0),
)
DEFAULT_HISTORY_S = 600.0


@dataclass(frozen=True, slots=True)
class Row:
    """One plot row: which metric, its axis label (unit and window) and y range."""

    key: str
    title: str
    unit: str
    y_range: tuple[float, float] | None = None


ROWS = (
    Row("hr_bpm", "Heart rate, mean of 10 s", "bpm"),
    Row("ln_rmssd", "lnRMSSD, 60 s window (dotted: own baseline mean ± SD)", "ln(ms)"),
    Row("hf", "ln HF power 0.15-0.40 Hz (solid) and RSA (dashed), 120 s window", "ln(ms²)"),
    Row("artifact_share", "Artifacts: share of repaired beats, 60 s window", "%", (0, 100)),
    Row("sync_r", "Heart-rate synchrony: peak r, 30 s windows, lags ±5 s", "r", (-1, 1)),
    Row("sync_lag", "Lag of the peak: + therapist leads, − client leads", "s", (-5.5, 5.5)),
)


class FullView(QtWidgets.QWidget):
    """Every metric over time, markers, the status panel and the history switch."""

    def __init__(self, model: SessionModel) -> None:
        super().__init__()
        self.model = model
        self.history_s = DEFAULT_HISTORY_S
        self.follow = True
        self._x_range: tuple[float, float] | None = None
        outer = QtWidgets.QHBoxLayout(self)
        left = QtWidgets.QVBoxLayout()
        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(QtWidgets.QLabel("History:"))
        self.history = QtWidgets.QComboBox()
        for label, seconds in HISTORY_CHOICES:
            self.history.addItem(label, seconds)
        self.history.setCurrentIndex(1)
        self.history.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.history.currentIndexChanged.connect(self._history_changed)
        bar.addWidget(self.history)
        self.live_button = QtWidgets.QPushButton("Follow live")
        self.live_button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.live_button.setToolTip("Zooming or panning stops following; this resumes it.")
        self.live_button.clicked.connect(self.resume_follow)
        bar.addWidget(self.live_button)
        bar.addStretch(1)
        left.addLayout(bar)
        self.plots_widget = pg.GraphicsLayoutWidget()
        left.addWidget(self.plots_widget, 1)
        outer.addLayout(left, 1)
        self.status = StatusPanel(model)
        outer.addWidget(self.status)

        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[tuple[str, str], pg.PlotDataItem] = {}
        first = None
        for i, row in enumerate(ROWS):
            plot = self.plots_widget.addPlot(row=i, col=0)
            plot.setTitle(row.title, size="9pt", justify="left")
            plot.setLabel("left", row.unit)
            plot.getAxis("left").setWidth(64)
            # No clipToView/auto-downsampling: with linked axes they re-process every
            # curve on each range change; `envelope` decimates once per redraw instead.
            plot.hideButtons()
            if row.y_range:
                plot.setYRange(*row.y_range, padding=0.02)
                plot.setMouseEnabled(x=True, y=False)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            if i < len(ROWS) - 1:
                plot.getAxis("bottom").setStyle(showValues=False)
            self.plots[row.key] = plot
        self.plots[ROWS[-1].key].setLabel("bottom", "session time (min)")
        for role in ROLES:
            # 1-pixel (cosmetic) pens: wide lines are several times slower to rasterise.
            pen = pg.mkPen(th.ROLE_COLOURS[role], width=1)
            dashed = pg.mkPen(th.ROLE_COLOURS[role], width=1, style=QtCore.Qt.PenStyle.DashLine)
            name = th.ROLE_NAMES[role]
            self.curves[(role, "hr_bpm")] = self.plots["hr_bpm"].plot(
                pen=pen, name=name, connect="finite"
            )
            self.curves[(role, "ln_rmssd")] = self.plots["ln_rmssd"].plot(pen=pen, connect="finite")
            self.curves[(role, "ln_hf")] = self.plots["hf"].plot(pen=pen, connect="finite")
            self.curves[(role, "rsa_ln_ms2")] = self.plots["hf"].plot(pen=dashed, connect="finite")
            self.curves[(role, "artifact_share")] = self.plots["artifact_share"].plot(
                pen=pen, connect="finite"
            )
            # Baseline band: mean ± SD of lnRMSSD at rest, as two thin dotted lines
            # (opaque: a translucent fill would cost a frame's worth of software rendering).
            band_pen = pg.mkPen(th.ROLE_COLOURS[role], width=1, style=QtCore.Qt.PenStyle.DotLine)
            for edge in ("lo", "hi"):
                line = pg.InfiniteLine(angle=0, pen=band_pen)
                line.setVisible(False)
                self.plots["ln_rmssd"].addItem(line)
                self.curves[(role, f"band_{edge}")] = line  # type: ignore[assignment]
        sync_pen = pg.mkPen(th.SYNC_COLOUR, width=1)
        self.curves[("sync", "peak_r")] = self.plots["sync_r"].plot(pen=sync_pen, connect="finite")
        # A line, not dots: a scatter of an hour of windows costs ~18 ms per update.
        self.curves[("sync", "peak_lag_s")] = self.plots["sync_lag"].plot(
            pen=sync_pen, connect="finite"
        )
        self.plots["sync_lag"].addItem(pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen("#777777")))
        first.sigRangeChangedManually.connect(self._user_moved)  # type: ignore[union-attr]
        for plot in self.plots.values():
            plot.sigRangeChangedManually.connect(self._user_moved)
        self.marker_layer = MarkerLayer(list(self.plots.values()))
        self.rating_layer = RatingLayer(list(self.plots.values()))
        self._drawn: dict[str, int] = {}
        self.theme = th.DARK

    def set_theme(self, theme: th.Theme) -> None:
        """Recolour for `theme`."""
        self.theme = theme
        th.style_plot(self.plots_widget, list(self.plots.values()), theme)
        self.status.set_theme(theme)

    def _history_changed(self, index: int) -> None:
        self.history_s = float(self.history.itemData(index))
        self.resume_follow()

    def _user_moved(self, *args: object) -> None:
        self.follow = False

    def resume_follow(self) -> None:
        """Follow the newest data again."""
        self.follow = True
        self._x_range = None
        self.redraw(force=True)

    def redraw(self, force: bool = False) -> None:
        """Draw from the model's buffers; curves whose data did not change are skipped."""
        m = self.model
        now_s = m.now_s
        t0_s = 0.0 if self.history_s <= 0 else max(0.0, now_s - self.history_s)
        width = max(200, int(self.plots_widget.width()))
        for role in ROLES:
            buf = m.people[role].metrics
            if force or self._drawn.get(role) != buf.version:
                self._drawn[role] = buf.version
                start = buf.since(t0_s).start if self.follow else 0
                x = buf.t_s / 60
                for key in ("hr_bpm", "ln_rmssd", "ln_hf", "rsa_ln_ms2"):
                    self.curves[(role, key)].setData(*envelope(x, buf.column(key), start, width))
                share = buf.column("artifact_share") * 100
                self.curves[(role, "artifact_share")].setData(*envelope(x, share, start, width))
            self._band(role)
        sync = m.sync.get("hr_bpm")
        if sync is not None and (force or self._drawn.get("sync") != sync.windows.version):
            buf = sync.windows
            self._drawn["sync"] = buf.version
            start = buf.since(t0_s).start if self.follow else 0
            x = buf.t_s / 60
            for key in ("peak_r", "peak_lag_s"):
                self.curves[("sync", key)].setData(*envelope(x, buf.column(key), start, width))
        self.marker_layer.update(m.visible_markers())
        self.rating_layer.update(m.ratings)
        if self.follow:
            x_range = follow_range(now_s, self.history_s)
            if x_range != self._x_range:  # a range change re-lays out all six axes
                self._x_range = x_range
                self.plots["hr_bpm"].setXRange(*x_range, padding=0)
        self.status.redraw()

    def _band(self, role: str) -> None:
        baseline = self.model.people[role].latest.get("baseline") or {}
        profile = baseline.get("profile") or {}
        mean, sd = profile.get("ln_rmssd_mean"), profile.get("ln_rmssd_sd")
        ok = isinstance(mean, int | float) and isinstance(sd, int | float)
        for edge, sign in (("lo", -1), ("hi", 1)):
            line = self.curves[(role, f"band_{edge}")]
            line.setVisible(ok)
            if ok:
                line.setValue(mean + sign * sd)  # type: ignore[operator]

    def marker_lines(self) -> dict[str, list[pg.InfiniteLine]]:
        """Return the drawn marker lines per marker id (one per plot row)."""
        return self.marker_layer.lines


def follow_range(now_s: float, history_s: float) -> tuple[float, float]:
    """Return the x range (session minutes) that shows the newest `history_s` (0: all).

    The window moves in steps of 1 % of its width (6 s of a 10-minute history; for
    "all", whole minutes), not every frame: the newest data is always inside, and
    the axes are not re-laid out on every redraw.
    """
    if history_s <= 0:
        return 0.0, float(max(1, int(np.ceil((now_s + 1) / 60))))
    step_s = history_s / 100
    end_s = max(history_s, float(np.ceil(now_s / step_s)) * step_s)
    return (end_s - history_s) / 60, end_s / 60
