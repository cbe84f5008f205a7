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

from coregulate.signal import catalogue
from coregulate.signal import people as ppl
from coregulate.signal.catalogue import Metric
from coregulate.ui import theme as th
from coregulate.ui.axes import QuietAxis, TwinTimeAxis
from coregulate.ui.breath_sync import BREATH_SYNC_SERIES, BreathSyncStrip
from coregulate.ui.curve import Curve
from coregulate.ui.decimate import envelope
from coregulate.ui.group_rows import GroupRows
from coregulate.ui.marker_lines import MarkerLayer
from coregulate.ui.model import SessionModel
from coregulate.ui.pair_table import WIDTH_PX as PAIR_TABLE_PX
from coregulate.ui.pair_table import PairTable
from coregulate.ui.rating_lines import RatingLayer
from coregulate.ui.readouts import metric_text
from coregulate.ui.review_layers import Playhead, review_range
from coregulate.ui.status_panel import STATUS_PX, StatusPanel

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
    """One plot row: its key (a metric's name), title (``{window}`` filled in), unit, y range."""

    key: str
    title: str
    unit: str
    y_range: tuple[float, float] | None = None


# Synchrony rows below the metric rows (the synchrony stage's own series).
SYNC_ROWS = (
    Row("sync_r", "Heart-rate synchrony: peak r, 30 s windows, lags ±5 s", "r", (-1, 1)),
    Row("sync_lag", "Lag of the peak: + therapist leads, − client leads", "s", (-5.5, 5.5)),
)
SYNC_KEYS = frozenset(row.key for row in SYNC_ROWS)
CHANCE_KEYS = ("chance_hi", "chance_lo")  # the chance band's two edges on the r row
CHANCE_TITLE = " · dotted: 95 % chance band"
# The row whose metric gets each person's baseline band (mean ± SD at rest).
BAND_ROW = "ln_rmssd"


def rows() -> tuple[Row, ...]:
    """Return the plot rows: a row per catalogue metric with a plot title, then synchrony."""
    metric_rows = tuple(
        Row(m.name, m.plot, m.axis_unit, m.display_range)
        for m in catalogue.metrics()
        if m.plot is not None
    )
    return metric_rows + SYNC_ROWS


def plotted_metrics() -> tuple[tuple[Metric, str, bool], ...]:
    """Return (metric, row key, dashed) for every metric the full view draws."""
    out = []
    for m in catalogue.metrics():
        if m.plot is not None:
            out.append((m, m.name, False))
        elif m.plot_with is not None:
            out.append((m, m.plot_with, True))
    return tuple(out)


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
        left.addLayout(self._history_bar())
        self.plots_widget = pg.GraphicsLayoutWidget()
        left.addWidget(self.plots_widget, 1)
        outer.addLayout(left, 1)
        right = QtWidgets.QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        self.pair_table = PairTable()  # 3+ people: every pair's newest window, above the status
        self.pair_table.setVisible(False)
        right.addWidget(self.pair_table)
        self.status = StatusPanel(model)
        # Scrolls rather than squeezing its lines into each other on a 800 px screen.
        scroll = QtWidgets.QScrollArea()
        scroll.setWidget(self.status)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFixedWidth(STATUS_PX + 16)
        self.status_scroll = scroll
        right.addWidget(scroll, 1)
        outer.addLayout(right)
        self.rows = rows()
        self.plotted = plotted_metrics()
        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[tuple[str, str], pg.PlotDataItem] = {}
        self._titles: dict[str, str] = {}
        self.chance_shown = False  # some window in view gives a chance band
        self._build_plots()
        self._build_sync_curves()
        self.group_rows = GroupRows(self.plots["sync_r"], self.plots["sync_lag"])
        self._drawn: dict[str, tuple[int, int]] = {}
        self.keys: tuple[str, ...] = ()
        self.colours: dict[str, str] = {}
        self._items: dict[str, list[tuple[pg.PlotItem, pg.GraphicsObject]]] = {}
        self.theme = th.DARK
        self._set_people()
        self._retitle({})
        # Breathing-rate synchrony (sessions with ACC): its own strip, x-linked, under the rows.
        self.breath_sync = BreathSyncStrip(self.plots[self.rows[0].key])
        left.addWidget(self.breath_sync)
        for plot in (*self.plots.values(), self.breath_sync.plot):
            plot.sigRangeChangedManually.connect(self._user_moved)
        self.marker_layer = MarkerLayer([*self.plots.values(), self.breath_sync.plot])
        self.rating_layer = RatingLayer(list(self.plots.values()))
        self.review_half_s: float | None = None  # review: the playhead in the middle
        self.playhead = Playhead(list(self.plots.values()))

    def _history_bar(self) -> QtWidgets.QHBoxLayout:
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
        return bar

    def _build_plots(self) -> None:
        first = None
        twins: dict = {}  # the value-less time axes share one picture (axes.py)
        for i, row in enumerate(self.rows):
            last = i == len(self.rows) - 1
            bottom = QuietAxis("bottom") if last else TwinTimeAxis(twins)
            axes = {"left": QuietAxis("left"), "bottom": bottom}
            plot = self.plots_widget.addPlot(row=i, col=0, axisItems=axes)
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
            if not last:
                plot.getAxis("bottom").setStyle(showValues=False)
            self.plots[row.key] = plot
        self.plots[self.rows[-1].key].setLabel("bottom", "session time (min)")

    def _set_people(self) -> None:
        """Give each of the model's people their curves (in their colours, this theme)."""
        keys = self.model.keys
        colours = th.person_colours(keys, self.theme.name)
        if keys == self.keys and colours == self.colours:
            return
        for key in self.keys:
            for plot, item in self._items.pop(key, []):
                plot.removeItem(item)
        self.curves = {k: c for k, c in self.curves.items() if k[0] not in self.keys}
        self.keys, self.colours = keys, colours
        for key in keys:
            self._build_person_curves(key, colours[key])
        self._drawn.clear()
        group = len(keys) > ppl.MIN_PEOPLE
        if group != self.group_rows.shown:
            self._set_group_mode(group)
        if group:
            names = {k: th.person_name(k) for k in keys}
            self.pair_table.set_pairs(ppl.pairs(keys), names)

    def _set_group_mode(self, group: bool) -> None:
        """Use the synchrony rows for the group (3+ people) or the dyad's one pair."""
        self.group_rows.show(group, len(ppl.pairs(self.keys)))
        self.pair_table.setVisible(group)
        # The pair strip is wider than the dyad's status column: both take its width.
        width = PAIR_TABLE_PX if group else STATUS_PX + 16
        self.status.setFixedWidth(width - 16)
        self.status_scroll.setFixedWidth(width)
        for key in ("peak_r", "peak_lag_s", *CHANCE_KEYS):
            self.curves[("sync", key)].setVisible(not group)
        if not group:
            for row in SYNC_ROWS:
                self.plots[row.key].setLabel("left", row.unit)
                self.plots[row.key].setYRange(*row.y_range, padding=0.02)
        self._titles.clear()

    def _build_person_curves(self, role: str, colour: str) -> None:
        # 1-pixel (cosmetic) pens: wide lines are several times slower to rasterise.
        pen = pg.mkPen(colour, width=1)
        dashed = pg.mkPen(colour, width=1, style=QtCore.Qt.PenStyle.DashLine)
        for i, (metric, row, is_dashed) in enumerate(self.plotted):
            named = {"name": th.person_name(role)} if i == 0 else {}
            # A bare curve, not a PlotDataItem around one: the same drawing, half the setData.
            curve = Curve(pen=dashed if is_dashed else pen, connect="finite", **named)
            self.plots[row].addItem(curve)
            self.curves[(role, metric.name)] = curve  # type: ignore[assignment]
            self._items.setdefault(role, []).append((self.plots[row], curve))
        # Baseline band: mean ± SD of lnRMSSD at rest, as two thin dotted lines
        # (opaque: a translucent fill would cost a frame's worth of software rendering).
        band_pen = pg.mkPen(colour, width=1, style=QtCore.Qt.PenStyle.DotLine)
        for edge in ("lo", "hi"):
            line = pg.InfiniteLine(angle=0, pen=band_pen)
            line.setVisible(False)
            self.plots[BAND_ROW].addItem(line)
            self._items[role].append((self.plots[BAND_ROW], line))
            self.curves[(role, f"band_{edge}")] = line  # type: ignore[assignment]

    def _build_sync_curves(self) -> None:
        sync_pen = pg.mkPen(th.SYNC_COLOUR, width=1)
        self.curves[("sync", "peak_r")] = self.plots["sync_r"].plot(pen=sync_pen, connect="finite")
        # A line, not dots: a scatter of an hour of windows costs ~18 ms per update.
        self.curves[("sync", "peak_lag_s")] = self.plots["sync_lag"].plot(
            pen=sync_pen, connect="finite"
        )
        self.plots["sync_lag"].addItem(pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen("#777777")))
        # The chance band: ±(95th percentile of the peak |r| of unrelated stretches) per
        # window, when the stage gives it; a window inside it is no evidence of synchrony.
        # A neutral reference line, like the lag row's zero: the r curve keeps its colour.
        band = pg.mkPen("#8C8C8C", width=1, style=QtCore.Qt.PenStyle.DotLine)
        for key in CHANCE_KEYS:
            self.curves[("sync", key)] = self.plots["sync_r"].plot(pen=band, connect="finite")

    def _retitle(self, latest: dict) -> None:
        """Title each metric row with the windows the newest payload gives (else defaults)."""
        rows = self.group_rows
        group = rows.titles(self.model.group.latest) if rows.shown else rows.pair_titles(self.keys)
        for row in self.rows:
            if row.key in group:
                title = group[row.key]
            elif row.key in SYNC_KEYS:
                shown = row.key == "sync_r" and self.chance_shown
                title = row.title + (CHANCE_TITLE if shown else "")
            else:
                title = metric_text(row.title, catalogue.metric(row.key), latest)
            if self._titles.get(row.key) != title:
                self._titles[row.key] = title
                self.plots[row.key].setTitle(title, size="9pt", justify="left")

    def set_theme(self, theme: th.Theme) -> None:
        """Recolour for `theme`."""
        self.theme = theme
        self._set_people()  # people beyond the dyad have colours per theme
        th.style_plot(self.plots_widget, list(self.plots.values()), theme)
        self.playhead.set_theme(theme)
        self.marker_layer.set_theme(theme.name)
        self.status.set_theme(theme)
        self.breath_sync.set_theme(theme)

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
        x_range = self._range(now_s)
        t0_s = max(0.0, x_range[0] * 60)
        width = max(200, int(self.plots_widget.width()))
        self._set_people()
        for role in self.keys:
            buf = m.people[role].metrics
            # Keyed by the buffer too: a review going back starts new ones.
            if force or self._drawn.get(role) != (id(buf), buf.version):
                self._drawn[role] = (id(buf), buf.version)
                start = buf.since(t0_s).start if self.follow else 0
                x = buf.t_s / 60
                for metric, _, _ in self.plotted:
                    y = buf.column(metric.name)
                    y = y * metric.scale if metric.scale != 1.0 else y
                    self.curves[(role, metric.name)].setData(*envelope(x, y, start, width))
            self._band(role)
        sync = m.sync.get("hr_bpm")
        if self.group_rows.shown:
            self.group_rows.redraw(m.group, t0_s if self.follow else None, width, force)
            self.pair_table.redraw(m)
        elif sync is not None and (
            force or self._drawn.get("sync") != (id(sync.windows), sync.windows.version)
        ):
            buf = sync.windows
            self._drawn["sync"] = (id(buf), buf.version)
            start = buf.since(t0_s).start if self.follow else 0
            x = buf.t_s / 60
            for key in ("peak_r", "peak_lag_s"):
                self.curves[("sync", key)].setData(*envelope(x, buf.column(key), start, width))
            self._chance_band(x, buf.column("chance_abs_r95"), start, width)
        self.breath_sync.redraw(m.sync.get(BREATH_SYNC_SERIES), t0_s, width, self.follow)
        self._retitle(next((p.latest for p in m.people.values() if p.latest), {}))
        self.marker_layer.update(m.visible_markers())
        self.rating_layer.update(m.ratings)
        if self.review_half_s:
            self.playhead.move(now_s)
        if self.follow and x_range != self._x_range:  # a change re-lays out all six axes
            self._x_range = x_range
            self.plots[self.rows[0].key].setXRange(*x_range, padding=0)
        self.status.redraw()

    def _chance_band(self, x: np.ndarray, chance: np.ndarray, start: int, width: int) -> None:
        """Draw ±chance_abs_r95 per window; nothing at all when no window gives it."""
        shown = bool(np.isfinite(chance[start:]).any())
        if shown != self.chance_shown:
            self.chance_shown = shown
            self._titles.pop("sync_r", None)  # retitled below, in this redraw
        for key, sign in zip(CHANCE_KEYS, (1.0, -1.0), strict=True):
            curve = self.curves[("sync", key)]
            if self.chance_shown:
                curve.setData(*envelope(x, sign * chance, start, width))
            else:
                curve.setData([], [])

    def set_review(self, half_s: float) -> None:
        """Show `half_s` either side of the model's time (the playhead), marked by a line."""
        self.review_half_s = half_s
        self.history.setEnabled(False)  # the review's window, not a history, sets the range
        self.history.setToolTip(f"Review shows ±{half_s / 60:g} min around the playhead.")
        self.live_button.setText("Centre on the playhead")
        self.live_button.setToolTip("Zooming or panning stops following; this resumes it.")
        self.resume_follow()

    def _range(self, now_s: float) -> tuple[float, float]:
        """Return the x range (min) to follow: centred on the playhead in review."""
        if self.review_half_s:
            return review_range(now_s, self.review_half_s)
        return follow_range(now_s, self.history_s)

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
