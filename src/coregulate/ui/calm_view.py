"""The calm view (default, for the therapist): readable from across the room, nothing blinks.

Per person: the state against their own baseline as a large word on a neutral
panel whose edge takes the state's quiet colour, since when, the arousal index of
the last minutes, heart rate and HRV in words against the person's own baseline.
Below, a small synchrony strip. Strap trouble is shown only when there is some.
Text grows with the window (`font_sizes`).

A session of 3-6 people has its own calm view (`CalmView(model, group=True)`): a
compact tile per person (`person_panel.py`), laid out in one or two rows, and a
group strip (`group_strip.py`) that names the group's synchrony and its closest
pair in words. Either view can hide the therapists' own tiles from a screen the
clients see (`set_hide_therapists`).
"""

from __future__ import annotations

from PySide6 import QtWidgets

from coregulate.signal.dyad import ROLES
from coregulate.ui import theme as th
from coregulate.ui.breath_sync import BREATH_SYNC_SERIES, BreathSyncLine
from coregulate.ui.full_view import follow_range
from coregulate.ui.group_strip import GroupStrip
from coregulate.ui.marker_lines import MarkerLayer
from coregulate.ui.model import Person, SessionModel
from coregulate.ui.person_panel import (  # noqa: F401 - re-exported (tests, scripts)
    OPENING_H_PX,
    READABLE_TEXT_PX,
    TREND_RANGE,
    PersonPanel,
    font_sizes,
)
from coregulate.ui.rating_lines import RatingLayer
from coregulate.ui.review_layers import Playhead, review_range
from coregulate.ui.status_panel import strap_problem
from coregulate.ui.sync_strip import TREND_S, SyncStrip  # the last 10 minutes


def tile_columns(n_tiles: int) -> int:
    """Return how many tiles a row holds: 3 in a row, 4 as 2 x 2, 5-6 in rows of 3."""
    return 2 if n_tiles == 4 else min(3, max(1, n_tiles))


class CalmView(QtWidgets.QWidget):
    """Both people side by side, a synchrony strip, the timer and strap trouble."""

    def __init__(self, model: SessionModel, group: bool = False) -> None:
        super().__init__()
        self.model = model
        self.group = group
        self.hide_therapists = False
        self.word_px = 0
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
        self.tiles = QtWidgets.QGridLayout()  # group: the people's tiles (`_set_tiles`)
        self._tiles_for: tuple | None = None
        self.panels = {} if group else {role: PersonPanel(role) for role in ROLES}
        for panel in self.panels.values():
            people.addWidget(panel, 1)
        if group:
            people.addLayout(self.tiles, 1)
        layout.addLayout(people, 1)
        self.sync_strip = GroupStrip() if group else SyncStrip()
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
        self.text_px, self.word_px = text_px, word_px
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
        self._set_tiles()  # people beyond the dyad have colours per theme

    def set_hide_therapists(self, hide: bool) -> None:
        """Hide (or show again) the therapists' own tiles: a screen the clients see."""
        self.hide_therapists = hide
        if not self.group:
            for role, panel in self.panels.items():
                panel.setVisible(not (hide and role != "client"))
        self._set_tiles()

    def _shown(self) -> list[str]:
        """Return the keys of the people whose tiles are shown."""
        roster = self.model.roster
        hidden = {p.key for p in roster if p.is_therapist} if self.hide_therapists else set()
        return [k for k in self.panels if k not in hidden]

    def _set_tiles(self) -> None:
        """Make a compact tile per person of the session, when the people or colours changed."""
        if not self.group:
            return
        keys = self.model.keys
        colours = th.person_colours(keys, self.theme.name)
        wanted = (keys, tuple(colours.values()), self.hide_therapists)
        if wanted == self._tiles_for:
            return
        self._tiles_for = wanted
        for panel in self.panels.values():
            self.tiles.removeWidget(panel)
            panel.hide()  # at once: deleteLater waits for the event loop
            panel.deleteLater()
        self.panels = {k: PersonPanel(k, compact=True, colour=colours[k]) for k in keys}
        shown = self._shown()
        columns = tile_columns(len(shown))
        for key, panel in self.panels.items():
            panel.set_font_sizes(self.word_px, self.text_px)
            if key in shown:
                i = shown.index(key)
                self.tiles.addWidget(panel, i // columns, i % columns)
                panel.show()  # now, not when the event loop gets to it
            else:
                panel.setParent(self)
                panel.setVisible(False)

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
        self._set_tiles()
        for role, panel in self.panels.items():
            person = m.people.get(role) or Person()
            buf = person.metrics
            # Keyed by the buffer too: a review going back starts new ones.
            key = (id(buf), buf.version, x_range[0])
            if not panel.compact and self._drawn.get(role) != key:
                self._drawn[role] = key
                s = buf.since(x_range[0] * 60)
                panel.draw_trend(buf.t_s[s] / 60, buf.column("arousal_index")[s])
            if moved and not panel.compact:
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
        missing = [th.person_name(r) for r, p in self.panels.items() if p.no_signal]
        t0_s = self._x_range[0] * 60 if self._x_range else now_s - TREND_S
        if self.group:
            self.sync_strip.redraw_group(self.model, now_s, missing, t0_s)
        else:
            self.sync_strip.redraw(self.model.sync.get("hr_bpm"), now_s, missing, t0_s)
        self.breath_sync.show_sync(self.model.sync.get(BREATH_SYNC_SERIES), now_s)

    def _redraw_attention(self) -> None:
        problems = []
        for role in self._shown():
            person = self.model.people.get(role)
            word = strap_problem(person.strap) if person is not None else None
            if word:
                problems.append(f"{th.person_name(role)} strap: {word}")
        text = " · ".join(problems)
        self.attention.setVisible(bool(text))
        if text != self.attention.text():
            self.attention.setText(text)
