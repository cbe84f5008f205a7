"""The calm view (default, for the therapist): readable from across the room, nothing blinks.

Per person: the state against their own baseline as a large word on a quiet
colour, since when, and the arousal index of the last minutes. Below, a small
synchrony strip. Strap trouble is shown only when there is some.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from coregulate.signal import catalogue
from coregulate.signal.baseline import StateThresholds
from coregulate.signal.dyad import ROLES
from coregulate.signal.person import is_no_signal
from coregulate.ui import theme as th
from coregulate.ui.full_view import follow_range
from coregulate.ui.marker_lines import MarkerLayer
from coregulate.ui.model import SessionModel
from coregulate.ui.rating_lines import RatingLayer
from coregulate.ui.readouts import MetricReadout, metric_reason

TREND_S = 600.0  # the trend shows the last 10 minutes
TREND_RANGE = (-3.0, 5.0)  # arousal index (z) the calm trend shows; beyond it: at the edge


def clip_to_range(y: np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return `y` held at the edges of [lo, hi], and masks of the points above and below.

    An off-scale value is drawn at the edge with a mark, never left out: a gap in
    the trend means "no trustworthy data", and a peak is data.
    """
    with np.errstate(invalid="ignore"):
        above, below = y > hi, y < lo
    return np.clip(y, lo, hi), above, below


def state_edges(thresholds: StateThresholds | None = None) -> tuple[float, float]:
    """Return the arousal index at which "activated" and "highly activated" begin."""
    th = thresholds or StateThresholds()
    return th.activated_enter, th.high_enter


class PersonPanel(QtWidgets.QFrame):
    """One person's state word, trend and two plain numbers."""

    def __init__(self, role: str) -> None:
        super().__init__()
        self.role = role
        layout = QtWidgets.QVBoxLayout(self)
        name = QtWidgets.QLabel(th.ROLE_NAMES[role])
        name.setStyleSheet(f"font-size: 22px; font-weight: 600; color: {th.ROLE_COLOURS[role]};")
        layout.addWidget(name)
        self.state = QtWidgets.QLabel("waiting")
        self.state.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.state.setMinimumHeight(96)
        layout.addWidget(self.state)
        self.since = QtWidgets.QLabel("")
        self.since.setStyleSheet("font-size: 15px;")
        layout.addWidget(self.since)
        self.plot_widget = pg.GraphicsLayoutWidget()
        self.plot_widget.setMinimumHeight(150)
        self.plot = self.plot_widget.addPlot()
        self.plot.setLabel("left", "arousal index (z, vs own baseline)")
        self.plot.setLabel("bottom", "last 10 min (session time, min)")
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setYRange(*TREND_RANGE, padding=0.02)
        for edge in state_edges():
            self.plot.addItem(
                pg.InfiniteLine(
                    pos=edge,
                    angle=0,
                    pen=pg.mkPen("#777777", width=1, style=QtCore.Qt.PenStyle.DotLine),
                )
            )
        self.curve = self.plot.plot(pen=pg.mkPen(th.ROLE_COLOURS[role], width=2), connect="finite")
        # Off-scale points: a triangle at the edge pointing the way the value went.
        self.off_scale = {
            side: self.plot.plot(
                pen=None,
                symbol=symbol,
                symbolSize=9,
                symbolBrush=th.ROLE_COLOURS[role],
                symbolPen=None,
            )
            for side, symbol in (("above", "t1"), ("below", "t"))
        }
        layout.addWidget(self.plot_widget, 1)
        row = QtWidgets.QHBoxLayout()
        self.no_signal = False  # the newest metrics say no beat has come (greyed)
        self.hr = MetricReadout(catalogue.metric("hr_bpm"), title="Heart rate")
        self.ln_rmssd = MetricReadout(catalogue.metric("ln_rmssd"))
        for r in (self.hr, self.ln_rmssd):
            r.setStyleSheet("font-size: 15px;")
            row.addWidget(r)
        layout.addLayout(row)
        self._shown_state: str | None = None

    def draw_trend(self, x_min: np.ndarray, index: np.ndarray) -> None:
        """Draw the arousal index, off-scale values held at the edge and marked there."""
        lo, hi = TREND_RANGE
        y, above, below = clip_to_range(index, lo, hi)
        self.curve.setData(x_min, y)
        self.off_scale["above"].setData(x_min[above], np.full(int(above.sum()), hi))
        self.off_scale["below"].setData(x_min[below], np.full(int(below.sum()), lo))

    def show_state(self, latest: dict, now_s: float, theme: th.Theme) -> None:
        """Show the state word, or what stands in for it (baseline, not available) and why."""
        baseline = latest.get("baseline") or {}
        status = baseline.get("status")
        reason = None if latest.get("state") else (metric_reason(latest, "state") or "no state")
        self.no_signal = is_no_signal(latest)
        if self.no_signal:
            word = "no signal"
            ago = _mmss(now_s - latest["no_signal_since_ns"] / 1e9)
            line = f"no signal · last beat {ago} ago"
            tip = (
                f"No heartbeat has reached coregulate from this strap ({reason}). "
                "Nothing is shown for this person until beats come again."
            )
        elif not reason:
            word = str(latest["state"])
            since_ns = latest.get("state_since_ns")
            since = f"for {_mmss(now_s - since_ns / 1e9)} · " if isinstance(since_ns, int) else ""
            line = since + "relative to own baseline"
            tip = "Compared with this person's own resting baseline; an indicator, not a diagnosis."
        elif status in ("waiting", "collecting"):
            word = "taking baseline"
            line = _baseline_text(baseline, now_s) + " · states follow"
            tip = "A quiet resting period: each person's states are measured against their own."
        elif status in ("failed", "none"):
            word = "no baseline"
            line = "states need a baseline (re-take it or load a stored profile)"
            tip = f"State not available: {baseline.get('reason') or reason}"
        else:
            word = "not available"
            line = "relative to own baseline"
            tip = f"State not available: {reason}"
        self._paint(word, theme)
        if tip != self.state.toolTip():
            self.state.setToolTip(tip)
        if line != self.since.text():
            self.since.setText(line)

    def _paint(self, word: str, theme: th.Theme) -> None:
        key = f"{word}|{theme.name}"
        if key == self._shown_state:
            return
        self._shown_state = key
        self.state.setText(word)
        colour = th.STATE_COLOURS.get(word, theme.panel)
        text_colour = th.STATE_TEXT.get(word, theme.muted)
        self.state.setStyleSheet(
            f"font-size: 40px; font-weight: 600; border-radius: 14px; "
            f"background: {colour}; color: {text_colour};"
        )
        # No signal: the whole panel goes grey (its numbers are blank), the name stays.
        muted = f"color: {theme.muted};" if word == "no signal" else ""
        for label in (self.since, self.hr, self.ln_rmssd):
            label.setStyleSheet(f"font-size: 15px; {muted}")
        self.curve.setOpacity(0.35 if word == "no signal" else 1.0)


def _mmss(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _baseline_text(baseline: dict, now_s: float) -> str:
    end_ns = baseline.get("end_t_ns")
    if isinstance(end_ns, int):
        return f"resting period, {_mmss(end_ns / 1e9 - now_s)} left"
    return "resting period about to start"


class CalmView(QtWidgets.QWidget):
    """Both people side by side, a synchrony strip, the timer and strap trouble."""

    def __init__(self, model: SessionModel) -> None:
        super().__init__()
        self.model = model
        layout = QtWidgets.QVBoxLayout(self)
        top = QtWidgets.QHBoxLayout()
        self.timer = QtWidgets.QLabel("0:00")
        self.timer.setStyleSheet("font-size: 28px; font-weight: 600;")
        self.timer.setToolTip("Session time (h:mm:ss)")
        self.attention = QtWidgets.QLabel("")
        self.attention.setVisible(False)
        top.addWidget(self.timer)
        top.addStretch(1)
        top.addWidget(self.attention)
        layout.addLayout(top)
        people = QtWidgets.QHBoxLayout()
        self.panels = {role: PersonPanel(role) for role in ROLES}
        for panel in self.panels.values():
            people.addWidget(panel, 1)
        layout.addLayout(people, 1)
        self.sync_widget = pg.GraphicsLayoutWidget()
        self.sync_widget.setFixedHeight(120)
        self.sync_plot = self.sync_widget.addPlot()
        self.sync_plot.setLabel("left", "HR sync r")
        self.sync_plot.setLabel("bottom", "last 10 min (session time, min)")
        self.sync_plot.setYRange(-1, 1)
        self.sync_plot.setMouseEnabled(False, False)
        self.sync_plot.hideButtons()
        self.sync_curve = self.sync_plot.plot(
            pen=pg.mkPen(th.SYNC_COLOUR, width=2), connect="finite"
        )
        self.sync_text = QtWidgets.QLabel("synchrony: waiting")
        self.sync_text.setStyleSheet("font-size: 15px;")
        strip = QtWidgets.QHBoxLayout()
        strip.addWidget(self.sync_widget, 1)
        strip.addWidget(self.sync_text)
        layout.addLayout(strip)
        self._plots = [p.plot for p in self.panels.values()] + [self.sync_plot]
        self._widgets = [p.plot_widget for p in self.panels.values()] + [self.sync_widget]
        self._drawn: dict[str, int] = {}
        self._x_range: tuple[float, float] | None = None
        self.marker_layer = MarkerLayer(self._plots)
        self.rating_layer = RatingLayer(self._plots)
        self.theme = th.DARK

    def set_theme(self, theme: th.Theme) -> None:
        """Recolour for `theme`."""
        self.theme = theme
        # Strap trouble is a fact to notice, not an alarm: neutral, framed, readable.
        self.attention.setStyleSheet(
            f"font-size: 20px; font-weight: 600; color: {theme.foreground}; "
            f"border: 2px solid {theme.muted}; border-radius: 8px; padding: 2px 10px;"
        )
        for widget, plot in zip(self._widgets, self._plots, strict=True):
            th.style_plot(widget, [plot], theme)
        for panel in self.panels.values():
            panel._shown_state = None
        self._x_range = None

    def redraw(self) -> None:
        """Draw from the model's buffers (skips curves whose data did not change)."""
        m = self.model
        now_s = m.now_s
        x_range = follow_range(now_s, TREND_S)
        moved = x_range != self._x_range
        self._x_range = x_range
        h, rest = divmod(int(now_s), 3600)
        self.timer.setText(f"{h}:{rest // 60:02d}:{rest % 60:02d}")
        for role, panel in self.panels.items():
            person = m.people[role]
            buf = person.metrics
            if self._drawn.get(role) != buf.version:
                self._drawn[role] = buf.version
                s = buf.since(now_s - TREND_S)
                panel.draw_trend(buf.t_s[s] / 60, buf.column("arousal_index")[s])
            if moved:
                panel.plot.setXRange(*x_range, padding=0)
            panel.show_state(person.latest, now_s, self.theme)
            panel.hr.show(person.latest)
            panel.ln_rmssd.show(person.latest)
        self._redraw_sync(now_s, x_range if moved else None)
        self.marker_layer.update(m.visible_markers())
        self.rating_layer.update(m.ratings)
        self._redraw_attention()

    def _redraw_sync(self, now_s: float, x_range: tuple[float, float] | None) -> None:
        sync = self.model.sync.get("hr_bpm")
        if x_range is not None:
            self.sync_plot.setXRange(*x_range, padding=0)
        if sync is None:
            missing = any(p.no_signal for p in self.panels.values())
            self.sync_text.setText("" if missing else "synchrony: not available")
            self.sync_text.setToolTip(
                "No synchrony received yet (it needs 30 s of both people's heart rate)."
            )
            return
        buf = sync.windows
        if self._drawn.get("sync") != buf.version:
            self._drawn["sync"] = buf.version
            s = buf.since(now_s - TREND_S)
            self.sync_curve.setData(buf.t_s[s] / 60, buf.column("peak_r")[s])
        missing = [th.ROLE_NAMES[r] for r, p in self.panels.items() if p.no_signal]
        if missing:
            # Synchrony needs both people: with one missing, the line says nothing.
            self.sync_text.setText("")
            self.sync_text.setToolTip(
                f"Synchrony is not shown while there is no signal from: {', '.join(missing)}."
            )
            return
        window = sync.latest.get("window")
        if not window:
            reason = (sync.latest.get("unavailable") or {}).get("window", "no value")
            self.sync_text.setText("synchrony: not available")
            self.sync_text.setToolTip(f"Not available: {reason}")
            return
        lag = float(window.get("peak_lag_s") or 0.0)
        leader = window.get("leader", "simultaneous")
        who = "together" if leader == "simultaneous" else f"{leader} leads by {abs(lag):.1f} s"
        self.sync_text.setText(f"HR synchrony r {window.get('peak_r', math.nan):+.2f}\n{who}")
        self.sync_text.setToolTip(
            "Peak windowed cross-correlation of the two heart rates (30 s windows, lags ±5 s). "
            "Synchrony is information, not a goal: higher is not better."
        )

    def _redraw_attention(self) -> None:
        problems = []
        for role, person in self.model.people.items():
            word = strap_problem(person.strap)
            if word:
                problems.append(f"{th.ROLE_NAMES[role]} strap: {word}")
        text = " · ".join(problems)
        self.attention.setVisible(bool(text))
        if text != self.attention.text():
            self.attention.setText(text)


LOW_BATTERY_PCT = 15


def strap_problem(strap: dict) -> str | None:
    """Return what needs attention about a strap (status payload), or None."""
    status = strap.get("status")
    if status in (None, "streaming", "ended", "ready"):
        battery = strap.get("battery_pct")
        if isinstance(battery, int | float) and battery <= LOW_BATTERY_PCT:
            return f"battery {battery:.0f} %"
        if strap.get("contact") is False:
            return "no skin contact"
        return None
    return str(status)
