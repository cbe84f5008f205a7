"""The calm view (default, for the therapist): readable from across the room, nothing blinks.

Per person: the state against their own baseline as a large word on a neutral
panel whose edge takes the state's quiet colour, since when, the arousal index of
the last minutes, heart rate and HRV in words against the person's own baseline.
Below, a small synchrony strip. Strap trouble is shown only when there is some.
Text grows with the window (`font_sizes`).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from coregulate.signal import catalogue
from coregulate.signal.baseline import StateThresholds
from coregulate.signal.dyad import ROLES
from coregulate.signal.person import is_no_signal
from coregulate.ui import theme as th
from coregulate.ui.breath_lines import BreathLine
from coregulate.ui.breath_sync import BREATH_SYNC_SERIES, BreathSyncLine
from coregulate.ui.calm_words import baseline_text as _baseline_text
from coregulate.ui.calm_words import mmss as _mmss
from coregulate.ui.full_view import follow_range
from coregulate.ui.marker_lines import MarkerLayer
from coregulate.ui.model import SessionModel
from coregulate.ui.rating_lines import RatingLayer
from coregulate.ui.readouts import MetricReadout, hrv_cue, metric_reason
from coregulate.ui.review_layers import Playhead, review_range
from coregulate.ui.status_panel import strap_problem
from coregulate.ui.sync_strip import TREND_S, SyncStrip  # the last 10 minutes

TREND_RANGE = (-3.0, 5.0)  # arousal index (z) the calm trend shows; beyond it: at the edge
OFF_SCALE_MARK_MIN = 0.25  # at most one off-scale mark per 15 s of trend

# Readable from the chair. ISO 9241-303 asks for characters of at least 16 arcmin
# (20-22 preferred). At 1.5 m, 16 arcmin is 1500 mm x tan(16/60 deg) = 6.98 mm of
# capital height. A 24-inch 1080p screen is 531 mm / 1920 px = 0.277 mm a pixel, so
# 6.98 mm is 25.2 px of capital height; a sans-serif capital is about 0.7 of the font
# size, so the font needs 25.2 / 0.7 = 36 px. The state word gets 1.6 times that
# (~26 arcmin). Those sizes hold at full screen (1080 px high) and scale with the
# window's height, never below what fits a 1280x800 window.
READABLE_TEXT_PX = 36  # supporting lines at full-screen 1080p: >= 16 arcmin at 1.5 m
STATE_WORD_RATIO = 1.6
FULL_SCREEN_H_PX = 1080
# The window opens 1280x800: text sized for that from the start, so the panels never
# ask for more width than a 1280-pixel screen has (`resizeEvent` scales from there).
OPENING_H_PX = 800
SHRINKABLE_PX = 40  # a label may narrow to this (its text clipped), never widen the window
MIN_TEXT_PX = 15


def font_sizes(window_h_px: int) -> tuple[int, int]:
    """Return the (state word, supporting line) font sizes in px for a window this high."""
    text = max(MIN_TEXT_PX, round(READABLE_TEXT_PX * window_h_px / FULL_SCREEN_H_PX))
    return round(text * STATE_WORD_RATIO), text


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
    """One person's state word, trend, heart rate and HRV against their own baseline."""

    def __init__(self, role: str) -> None:
        super().__init__()
        self.role = role
        self.setObjectName("person")
        layout = QtWidgets.QVBoxLayout(self)
        self.name = QtWidgets.QLabel(th.ROLE_NAMES[role])
        layout.addWidget(self.name)
        self.state = QtWidgets.QLabel("waiting")
        self.state.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.state)
        self.since = QtWidgets.QLabel("")
        self.since.setWordWrap(True)
        layout.addWidget(self.since)
        self._build_trend(role)
        layout.addWidget(self.plot_widget, 1)
        row = QtWidgets.QHBoxLayout()
        self.no_signal = False  # the newest metrics say no beat has come (greyed)
        self.hr = MetricReadout(catalogue.metric("hr_bpm"), title="HR")
        # HRV in words against the person's own baseline; lnRMSSD itself is in the full view.
        self.hrv = QtWidgets.QLabel("HRV: not available")
        row.addWidget(self.hr)
        row.addStretch(1)
        row.addWidget(self.hrv)
        layout.addLayout(row)
        self.breath = BreathLine()  # only when breathing or moving matters
        layout.addWidget(self.breath)
        self._shown_state: str | None = None
        self.word_px, self.text_px = font_sizes(OPENING_H_PX)
        for label in (self.state, self.since, self.hr, self.hrv, self.breath):
            label.setMinimumWidth(SHRINKABLE_PX)

    def _build_trend(self, role: str) -> None:
        """The arousal trend: state edges named, off-scale marks and their words."""
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
        # The dotted lines named where they are: where each state begins.
        self.plot.showAxis("right")
        words = ("activated", "highly activated")
        self.plot.getAxis("right").setTicks([list(zip(state_edges(), words, strict=True))])
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
        # The furthest value beyond each edge, in words: a line held at the edge for
        # minutes would otherwise read as "stuck at 5". Its ground is set in `_paint`.
        self.off_labels = {
            side: pg.TextItem(color=th.ROLE_COLOURS[role], anchor=(0.0, anchor_y))
            for side, anchor_y in (("above", 0.0), ("below", 1.0))
        }
        for label in self.off_labels.values():
            label.setVisible(False)
            self.plot.addItem(label)

    def set_font_sizes(self, word_px: int, text_px: int) -> None:
        """Use these font sizes (px) for the state word and the supporting lines."""
        if (word_px, text_px) != (self.word_px, self.text_px):
            self.word_px, self.text_px = word_px, text_px
            self._shown_state = None  # restyle at the next redraw
            self.state.setMinimumHeight(round(word_px * 1.9))

    def show_hrv(self, latest: dict) -> None:
        """Say HRV against the person's own baseline (blank when there is no signal)."""
        text, tip = ("", "") if self.no_signal else hrv_cue(latest)
        if text != self.hrv.text():
            self.hrv.setText(text)
        if tip != self.hrv.toolTip():
            self.hrv.setToolTip(tip)

    def draw_trend(self, x_min: np.ndarray, index: np.ndarray) -> None:
        """Draw the arousal index, off-scale values held at the edge and marked there.

        One mark per `OFF_SCALE_MARK_MIN` of off-scale data at most (a mark per update
        fuses into a bar), and the furthest value beyond the edge written beside it.
        """
        lo, hi = TREND_RANGE
        y, above, below = clip_to_range(index, lo, hi)
        self.curve.setData(x_min, y)
        for side, mask, edge in (("above", above, hi), ("below", below, lo)):
            label = self.off_labels[side]
            if not mask.any() and not label.isVisible():
                continue  # nothing off scale, before or now: the common frame costs nothing
            x_off = x_min[mask]
            _, first = np.unique(np.floor(x_off / OFF_SCALE_MARK_MIN), return_index=True)
            self.off_scale[side].setData(x_off[first], np.full(first.size, edge))
            label.setVisible(bool(mask.any()))
            if mask.any():
                values = index[mask]
                i = int(np.argmax(values) if side == "above" else np.argmin(values))
                word = "peak" if side == "above" else "low"
                label.setText(f"off scale: {word} {values[i]:+.1f}")
                # Top (bottom) left, on its own ground: the newest data is on the right.
                label.setPos(float(x_min[0]) + 0.1, edge)

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
        key = f"{word}|{theme.name}|{self.word_px}"
        if key == self._shown_state:
            return
        self._shown_state = key
        self.state.setText(word)
        # A neutral panel; the state's quiet colour is its edge, the word is plain text.
        edge = th.STATE_COLOURS.get(word, theme.axis)
        text_colour = theme.foreground if word in th.STATE_COLOURS else theme.muted
        self.setStyleSheet(
            f"QFrame#person {{ background: {theme.panel}; border-radius: 10px; "
            f"border-top: 4px solid {th.ROLE_COLOURS[self.role]}; }}"
        )
        self.name.setStyleSheet(
            f"font-size: {self.text_px}px; font-weight: 600; "
            f"color: {th.ink(th.ROLE_COLOURS[self.role], theme.panel)};"
        )
        self.state.setStyleSheet(
            f"font-size: {self.word_px}px; font-weight: 600; border-radius: 8px; "
            f"background: {theme.background}; color: {text_colour}; "
            f"border-left: {max(10, self.text_px // 2)}px solid {edge};"
        )
        # No signal: the whole panel goes grey (its numbers are blank), the name stays.
        muted = f"color: {theme.muted};" if word == "no signal" else ""
        for label in (self.since, self.hr, self.hrv):
            label.setStyleSheet(f"font-size: {self.text_px}px; {muted}")
        self.breath.setStyleSheet(f"font-size: {self.text_px}px; color: {theme.muted};")
        opacity = 0.35 if word == "no signal" else 1.0
        for item in (self.curve, *self.off_scale.values(), *self.off_labels.values()):
            item.setOpacity(opacity)
        for label in self.off_labels.values():
            label.fill = pg.mkBrush(theme.panel)
            label.setColor(th.ink(th.ROLE_COLOURS[self.role], theme.panel))


class CalmView(QtWidgets.QWidget):
    """Both people side by side, a synchrony strip, the timer and strap trouble."""

    def __init__(self, model: SessionModel) -> None:
        super().__init__()
        self.model = model
        layout = QtWidgets.QVBoxLayout(self)
        top = QtWidgets.QHBoxLayout()
        self.timer = QtWidgets.QLabel("0:00")
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
        self.sync_strip = SyncStrip()
        self.sync_widget, self.sync_plot = self.sync_strip.plot_widget, self.sync_strip.plot
        self.sync_text = self.sync_strip.text
        layout.addWidget(self.sync_strip)
        self.breath_sync = BreathSyncLine()  # only while breathing rates move together
        layout.addWidget(self.breath_sync)
        self._plots = [p.plot for p in self.panels.values()] + [self.sync_plot]
        self._widgets = [p.plot_widget for p in self.panels.values()] + [self.sync_widget]
        self._drawn: dict[str, tuple[int, int, float]] = {}
        self._x_range: tuple[float, float] | None = None
        self.review_half_s: float | None = None  # review: the playhead in the middle
        self.playhead = Playhead(self._plots)
        self.marker_layer = MarkerLayer(self._plots)
        self.rating_layer = RatingLayer(self._plots)
        self.theme = th.DARK
        self.text_px = 0
        self.set_font_sizes(*font_sizes(OPENING_H_PX))

    def resizeEvent(self, event) -> None:
        """Scale the text with the window (`font_sizes`)."""
        super().resizeEvent(event)
        self.set_font_sizes(*font_sizes(self.window().height()))

    def set_font_sizes(self, word_px: int, text_px: int) -> None:
        """Use these font sizes (px): the state words, and every supporting line."""
        if text_px == self.text_px:
            return
        self.text_px = text_px
        for panel in self.panels.values():
            panel.set_font_sizes(word_px, text_px)
        self.timer.setStyleSheet(f"font-size: {text_px}px; font-weight: 600;")
        self.sync_strip.set_text_px(text_px)
        self._style_attention()

    def _style_attention(self) -> None:
        # Strap trouble is a fact to notice, not an alarm: neutral, framed, readable.
        self.attention.setStyleSheet(
            f"font-size: {self.text_px}px; font-weight: 600; color: {self.theme.foreground}; "
            f"border: 2px solid {self.theme.muted}; border-radius: 8px; padding: 2px 10px;"
        )
        self.breath_sync.restyle(self.text_px, self.theme)

    def set_theme(self, theme: th.Theme) -> None:
        """Recolour for `theme`."""
        self.theme = theme
        self.playhead.set_theme(theme)
        self.marker_layer.set_theme(theme.name)
        self._style_attention()
        for widget, plot in zip(self._widgets, self._plots, strict=True):
            th.style_plot(widget, [plot], theme)
        for panel in self.panels.values():
            panel._shown_state = None
        self._x_range = None

    def set_review(self, half_s: float) -> None:
        """Show `half_s` either side of the model's time (the playhead), marked by a line."""
        self.review_half_s = half_s
        for plot in self._plots:
            plot.setLabel("bottom", f"±{half_s / 60:g} min around the playhead (session min)")
        self._x_range = None

    def redraw(self) -> None:
        """Draw from the model's buffers (skips curves whose data did not change)."""
        m = self.model
        now_s = m.now_s
        half = self.review_half_s
        x_range = review_range(now_s, half) if half else follow_range(now_s, TREND_S)
        if half:
            self.playhead.move(now_s)
        moved = x_range != self._x_range
        self._x_range = x_range
        h, rest = divmod(int(now_s), 3600)
        self.timer.setText(f"{h}:{rest // 60:02d}:{rest % 60:02d}")
        for role, panel in self.panels.items():
            person = m.people[role]
            buf = person.metrics
            # Keyed by the buffer too: a review going back starts new ones.
            key = (id(buf), buf.version, x_range[0])
            if self._drawn.get(role) != key:
                self._drawn[role] = key
                s = buf.since(x_range[0] * 60)
                panel.draw_trend(buf.t_s[s] / 60, buf.column("arousal_index")[s])
            if moved:
                panel.plot.setXRange(*x_range, padding=0)
            panel.show_state(person.latest, now_s, self.theme)
            panel.hr.show(person.latest)
            panel.show_hrv(person.latest)
            panel.breath.show_breath(person.breath, person.breath_age_s(now_s))
        self._redraw_sync(now_s, x_range if moved else None)
        self.marker_layer.update(m.visible_markers())
        self.rating_layer.update(m.ratings)
        self._redraw_attention()

    def _redraw_sync(self, now_s: float, x_range: tuple[float, float] | None) -> None:
        if x_range is not None:
            self.sync_plot.setXRange(*x_range, padding=0)
        missing = [th.ROLE_NAMES[r] for r, p in self.panels.items() if p.no_signal]
        t0_s = self._x_range[0] * 60 if self._x_range else now_s - TREND_S
        self.sync_strip.redraw(self.model.sync.get("hr_bpm"), now_s, missing, t0_s)
        self.breath_sync.show_sync(self.model.sync.get(BREATH_SYNC_SERIES), now_s)

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
