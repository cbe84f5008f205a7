"""One person's panel of the calm view: the state word against their own baseline, and more.

In a two-person session each panel also has the arousal trend of the last ten
minutes; in a 3-6 person session it is a compact tile (`compact=True`): name,
state word, since when, heart rate and HRV in words, no trend, so that several fit
on one screen and none asks for more attention than the dyad's panels.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from coregulate.signal import catalogue
from coregulate.signal.baseline import StateThresholds
from coregulate.signal.person import is_no_signal
from coregulate.ui import theme as th
from coregulate.ui.breath_lines import BreathLine
from coregulate.ui.calm_words import baseline_text as _baseline_text
from coregulate.ui.calm_words import mmss as _mmss
from coregulate.ui.readouts import MetricReadout, hrv_cue, metric_reason

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
COMPACT_WORD_RATIO = 1.3  # a compact tile's state word (still >= 20 arcmin at 1.5 m)
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
    """One person's state word, trend, heart rate and HRV against their own baseline.

    `compact`: a tile without the trend (3-6 person sessions); `colour`: the
    person's line colour (`palette.person_colours`), the dyad's own by default.
    """

    def __init__(self, role: str, compact: bool = False, colour: str | None = None) -> None:
        super().__init__()
        self.role = role
        self.compact = compact
        self.colour = colour or th.ROLE_COLOURS[role]
        self.setObjectName("person")
        layout = QtWidgets.QVBoxLayout(self)
        self.name = QtWidgets.QLabel(th.person_name(role))
        layout.addWidget(self.name)
        self.state = QtWidgets.QLabel("waiting")
        self.state.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.state)
        self.since = QtWidgets.QLabel("")
        self.since.setWordWrap(True)
        layout.addWidget(self.since)
        if not compact:
            self._build_trend(role)
            layout.addWidget(self.plot_widget, 1)
        # A tile is narrow: heart rate and HRV each get a line of their own there.
        row = QtWidgets.QVBoxLayout() if compact else QtWidgets.QHBoxLayout()
        self.no_signal = False  # the newest metrics say no beat has come (greyed)
        self.hr = MetricReadout(catalogue.metric("hr_bpm"), title="HR")
        # HRV in words against the person's own baseline; lnRMSSD itself is in the full view.
        self.hrv = QtWidgets.QLabel("HRV: not available")
        row.addWidget(self.hr)
        if not compact:
            row.addStretch(1)
        row.addWidget(self.hrv)
        layout.addLayout(row)
        self.breath = BreathLine()  # only when breathing or moving matters
        layout.addWidget(self.breath)
        if compact:
            layout.addStretch(1)
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
        self.curve = self.plot.plot(pen=pg.mkPen(self.colour, width=2), connect="finite")
        # Off-scale points: a triangle at the edge pointing the way the value went.
        self.off_scale = {
            side: self.plot.plot(
                pen=None,
                symbol=symbol,
                symbolSize=9,
                symbolBrush=self.colour,
                symbolPen=None,
            )
            for side, symbol in (("above", "t1"), ("below", "t"))
        }
        # The furthest value beyond each edge, in words: a line held at the edge for
        # minutes would otherwise read as "stuck at 5". Its ground is set in `_paint`.
        self.off_labels = {
            side: pg.TextItem(color=self.colour, anchor=(0.0, anchor_y))
            for side, anchor_y in (("above", 0.0), ("below", 1.0))
        }
        for label in self.off_labels.values():
            label.setVisible(False)
            self.plot.addItem(label)

    def set_font_sizes(self, word_px: int, text_px: int) -> None:
        """Use these font sizes (px) for the state word and the supporting lines."""
        if self.compact:  # the word fits a third of the width: 1.3x the text, not 1.6x
            word_px = min(word_px, round(text_px * COMPACT_WORD_RATIO))
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
            f"border-top: 4px solid {self.colour}; }}"
        )
        self.name.setStyleSheet(
            f"font-size: {self.text_px}px; font-weight: 600; "
            f"color: {th.ink(self.colour, theme.panel)};"
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
        if self.compact:
            return
        opacity = 0.35 if word == "no signal" else 1.0
        for item in (self.curve, *self.off_scale.values(), *self.off_labels.values()):
            item.setOpacity(opacity)
        for label in self.off_labels.values():
            label.fill = pg.mkBrush(theme.panel)
            label.setColor(th.ink(self.colour, theme.panel))
